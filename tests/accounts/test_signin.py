"""Sign-in: username or email, remember-me, throttling, sessions ended by security changes."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    user = UserFactory(username="carol", email="carol@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _login(client, login, password=PASSWORD, remember=False):
    data = {"login": login, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data)


@pytest.mark.parametrize("login", ["carol", "carol@example.com", "CAROL@example.com"])
def test_sign_in_with_username_or_email(client, member, login):
    response = _login(client, login)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(member.pk)


@pytest.mark.policy("P33")
def test_without_remember_me_the_session_ends_with_the_browser(client, member):
    response = _login(client, "carol")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


@pytest.mark.policy("P33")
def test_remember_me_keeps_the_session_for_two_weeks(client, member):
    response = _login(client, "carol", remember=True)
    cookie = response.cookies["sessionid"]
    assert int(cookie["max-age"]) == 14 * 24 * 3600
    assert not client.session.get_expire_at_browser_close()


def test_remember_me_is_unchecked_by_default(client):
    page = client.get(reverse("account_login")).content.decode()
    box = re.search(r"<input[^>]*name=\"remember\"[^>]*>", page).group(0)
    assert "checked" not in box


def test_failed_logins_are_throttled_with_a_retry_time(client, member):
    for _ in range(5):
        response = _login(client, "carol", password="wrong password")
        assert "Try again in" not in response.content.decode()
    response = _login(client, "carol", password="wrong password")
    page = response.content.decode()
    assert re.search(r"Too many failed sign-in attempts. Try again in [0-9]+ minutes?\.", page)
    # Even the right password is refused while throttled.
    response = _login(client, "carol")
    assert SESSION_KEY not in client.session


def test_password_change_ends_other_sessions_but_keeps_this_one(member):
    other, this = Client(), Client()
    _login(other, "carol")
    _login(this, "carol")
    response = this.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "another Long passphrase 7",
            "password2": "another Long passphrase 7",
        },
    )
    assert response.status_code == 302
    assert this.get(reverse("accounts:my_account")).status_code == 200
    assert other.get(reverse("accounts:my_account")).status_code == 302


@pytest.mark.django_db(transaction=True)  # allauth reacts on commit, inside the request
def test_enabling_totp_ends_other_sessions(member, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a 30-second step may tick over mid-test
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    other, this = Client(), Client()
    _login(other, "carol")
    _login(this, "carol")
    # Reach the activation page, take the secret it offers, answer with a valid code.
    # allauth asks for the password again before security changes.
    this.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = this.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.get("Location")
    secret = this.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = this.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert member.authenticator_set.filter(type="totp").exists()
    assert member.authenticator_set.filter(type="recovery_codes").exists()
    assert this.get(reverse("accounts:my_account")).status_code == 200
    assert other.get(reverse("accounts:my_account")).status_code == 302


def test_very_long_login_gets_a_clear_message(client, member):
    response = _login(client, "c" * 10_000)
    assert response.status_code == 200
    assert "too long" in response.content.decode()


@pytest.mark.policy("P23")
def test_email_change_takes_effect_once_the_new_address_is_verified(client, member):
    from django.core import mail

    client.force_login(member)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.com"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email == "carol@example.com"  # not yet: the new address is unproven
    link = next(
        line.strip()
        for m in mail.outbox
        if m.to == ["new@example.com"]
        for line in m.body.splitlines()
        if "/accounts/confirm-email/" in line
    )
    client.post(link[link.index("/accounts/") :])
    member.refresh_from_db()
    assert member.email == "new@example.com"


def test_password_reset_mails_a_link(client, member):
    from django.core import mail

    response = client.post(reverse("account_reset_password"), {"email": "carol@example.com"})
    assert response.status_code == 302
    assert any("/accounts/password/reset/key/" in m.body for m in mail.outbox)


def _reset(client, email):
    from django.core import mail

    mail.outbox.clear()
    response = client.post(reverse("account_reset_password"), {"email": email}, follow=True)
    return response, list(mail.outbox)


@pytest.mark.policy("P04")
@pytest.mark.parametrize("unknown", ["nobody@example.com", "disabled@example.com"])
def test_password_reset_does_not_reveal_whether_an_address_is_registered(client, member, unknown):
    disabled = UserFactory(username="gone", email="disabled@example.com", is_active=False)
    EmailAddress.objects.create(user=disabled, email=disabled.email, verified=True, primary=True)
    known_page, known_mail = _reset(client, "carol@example.com")
    unknown_page, unknown_mail = _reset(Client(), unknown)
    # Same redirect, same page, same number of mails to the address typed in.
    assert known_page.redirect_chain == unknown_page.redirect_chain
    assert known_page.redirect_chain[-1][0] == reverse("account_reset_password_done")
    strip = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"')
    assert strip.sub("", known_page.content.decode()) == strip.sub(
        "", unknown_page.content.decode()
    )
    assert [m.to for m in known_mail] == [["carol@example.com"]]
    assert [m.to for m in unknown_mail] == [[unknown]]
    # Only the registered, active account gets a reset link; the other mail says there
    # is no account here and offers sign-up.
    assert "/accounts/password/reset/key/" in known_mail[0].body
    assert "/accounts/password/reset/key/" not in unknown_mail[0].body
    assert reverse("account_signup") in unknown_mail[0].body
    assert known_mail[0].subject != unknown_mail[0].subject


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-an-address", "valid email"),
        ("carol@example.com\r\nBcc: x@example.com", "Line breaks are not allowed"),
        ("a" * 300 + "@example.com", "too long"),
        # A domain IDNA cannot encode would fail only when mailed (it was a 500).
        ("admin@example.com\u202e", "valid email"),
    ],
)
def test_password_reset_refuses_malformed_input_next_to_the_field(client, value, message):
    from django.core import mail

    response = client.post(reverse("account_reset_password"), {"email": value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert mail.outbox == []


def test_signup_still_names_a_taken_address(client, member, signup_data):
    response = client.post(reverse("account_signup"), {**signup_data, "email": "CAROL@example.com"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_email-errors"' in page
    assert "already registered" in page


def test_logout_ends_the_session(client, member):
    _login(client, "carol")
    client.post(reverse("account_logout"))
    assert SESSION_KEY not in client.session


@pytest.mark.django_db(transaction=True)
def test_sign_in_with_totp_asks_for_a_code(member, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a 30-second step may tick over mid-test
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = "JBSWY3DPEHPK3PXP"
    TOTP.activate(member, secret)
    client = Client()
    response = _login(client, "carol")
    assert response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert SESSION_KEY not in client.session
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session[SESSION_KEY] == str(member.pk)
