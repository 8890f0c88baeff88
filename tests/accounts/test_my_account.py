"""My Account: profile, language, timezone and marketing choices take effect on save."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from mailsoftly.accounts.models import MarketingConsent, User
from mailsoftly.accounts.tokens import unsubscribe_token_make, unsubscribe_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/"


@pytest.fixture
def account(db):
    return UserFactory(username="dora", email="dora@example.com")


@pytest.fixture
def dora(client, account):
    client.force_login(account)
    return client


def _save_preferences(client, **changes):
    data = {"section": "preferences", "username": "dora", "language": "en", "timezone": "UTC"}
    data.update(changes)
    return client.post(URL, data)


@pytest.mark.policy("P05")
def test_my_account_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.policy("P08", "P23")
def test_my_account_shows_language_timezone_and_communication_settings(dora):
    page = dora.get(URL).content.decode()
    for name in ("username", "language", "timezone", "marketing_opt_in"):
        assert f'name="{name}"' in page


@pytest.mark.policy("P08", "P23", "P35")
def test_language_change_switches_the_ui_and_sets_the_cookie(dora, account):
    response = _save_preferences(dora, language="de")
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "de"
    account.refresh_from_db()
    assert account.language == "de"
    page = dora.get(URL).content.decode()
    assert '<html lang="de"' in page
    assert "Mein Konto" in page


@pytest.mark.policy("P35")
def test_english_is_the_source_language(client):
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en"' in page


@pytest.mark.policy("P08", "P23")
def test_dates_are_shown_in_the_users_timezone(dora, account):
    MarketingConsent.objects.create(
        user=account,
        granted=True,
        source="signup",
        recorded_at=dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC),
    )
    assert "Jan. 15, 2026, 11:30 p.m." in dora.get(URL).content.decode()
    _save_preferences(dora, timezone="Asia/Tokyo")
    page = dora.get(URL).content.decode()
    assert "Jan. 16, 2026, 8:30 a.m." in page  # UTC+9, next morning
    assert 'datetime="2026-01-16T08:30:00+09:00"' in page


@pytest.mark.policy("P23")
def test_username_change_applies_at_once_and_refuses_lookalikes(dora, account):
    UserFactory(username="erin")
    response = _save_preferences(dora, username="\uff25RIN")  # full-width E
    assert response.status_code == 200
    assert 'id="id_username-errors"' in response.content.decode()
    _save_preferences(dora, username="dora2")
    account.refresh_from_db()
    assert account.username == "dora2"


def test_unknown_timezone_is_refused_next_to_the_field(dora, account):
    response = _save_preferences(dora, timezone="Mars/Olympus")
    assert 'id="id_timezone-errors"' in response.content.decode()
    account.refresh_from_db()
    assert account.timezone == "UTC"


@pytest.mark.policy("P19", "P23")
def test_opting_in_and_out_updates_the_ledger_at_once(dora, account):
    dora.post(URL, {"section": "communication", "marketing_opt_in": "on"}, REMOTE_ADDR="192.0.2.9")
    account.refresh_from_db()
    assert account.marketing_opt_in is True
    dora.post(URL, {"section": "communication"}, REMOTE_ADDR="192.0.2.9")
    account.refresh_from_db()
    assert account.marketing_opt_in is False
    ledger = list(MarketingConsent.objects.filter(user=account).order_by("id"))
    assert [(c.granted, c.source, c.ip_address) for c in ledger] == [
        (True, "my_account", "192.0.2.9"),
        (False, "my_account", "192.0.2.9"),
    ]


@pytest.mark.policy("P19")
def test_unsubscribe_link_opts_out_at_once_without_login(account):
    User.objects.filter(pk=account.pk).update(marketing_opt_in=True)
    url = unsubscribe_url(user_id=account.pk)
    assert url.startswith("http")
    response = Client().get(url[url.index("/account/") :], REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.marketing_opt_in is False
    entry = MarketingConsent.objects.get(user=account)
    assert (entry.granted, entry.source, entry.ip_address) == (
        False,
        "unsubscribe_link",
        "192.0.2.50",
    )


def test_one_click_unsubscribe_post_needs_no_csrf_token(account):
    User.objects.filter(pk=account.pk).update(marketing_opt_in=True)
    client = Client(enforce_csrf_checks=True)
    token = unsubscribe_token_make(user_id=account.pk)
    response = client.post(f"/account/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.marketing_opt_in is False


def test_forged_unsubscribe_token_changes_nothing(account):
    User.objects.filter(pk=account.pk).update(marketing_opt_in=True)
    token = unsubscribe_token_make(user_id=account.pk)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = Client().get(f"/account/unsubscribe/{forged}/")
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.marketing_opt_in is True
    assert not MarketingConsent.objects.exists()


def test_my_account_link_is_in_the_user_menu(dora):
    assert 'href="/account/"' in dora.get(URL).content.decode()


@pytest.mark.policy("P41")
def test_withdrawing_policy_consent_closes_the_account(dora, account):
    from mailsoftly.accounts.models import PolicyAcceptance

    PolicyAcceptance.objects.create(
        user=account,
        policy_version="2026-11-25",
        accepted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    response = dora.post(URL, {"section": "withdraw"})
    assert 'id="id_confirm-errors"' in response.content.decode()
    account.refresh_from_db()
    assert account.is_active
    response = dora.post(URL, {"section": "withdraw", "confirm": "on"})
    assert response["Location"] == reverse("account_login")
    account.refresh_from_db()
    assert not account.is_active and account.disabled_at is not None
    assert PolicyAcceptance.objects.get(user=account).revoked_at is not None
    assert dora.get(URL).status_code == 302


@pytest.mark.policy("P09", "P14", "P24", "P29")
@pytest.mark.parametrize(
    ("link_id", "url_name"),
    [
        ("link-signin-history", "ops:signin_history"),
        ("link-access-history", "ops:access_history"),
        ("link-my-data", "lifecycle:my_data"),
        ("link-account-delete", "lifecycle:account_delete"),
    ],
)
def test_my_account_links_to_history_data_and_deletion_pages(dora, link_id, url_name):
    import re

    page = dora.get(URL).content.decode()
    match = re.search(rf'href="([^"]+)" id="{link_id}"', page)
    assert match, f"My Account has no {link_id} link"
    assert match.group(1) == reverse(url_name)
    target = dora.get(match.group(1))
    assert target.status_code == 200
    assert "<h1" in target.content.decode()
