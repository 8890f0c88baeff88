"""Google and Facebook sign-in: redirect, callback, sign-up, sign-in, link and unlink (P12)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from mailsoftly.accounts.adapter import SocialAccountAdapter
from mailsoftly.accounts.models import PolicyAcceptance, User
from tests.accounts.conftest import PASSWORD
from tests.accounts.fake_oauth import FakeProviders, session_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOGLE_PROFILE = {
    "id": "108000000000000000001",
    "email": "ivy@gmail.example",
    "verified_email": True,
    "name": "Ivy Example",
    "given_name": "Ivy",
    "family_name": "Example",
    "picture": "https://lh3.example/photo.jpg",
    "locale": "en",
    # Not part of what we asked for: must never be stored.
    "birthday": "2001-02-03",
    "gender": "female",
}


@pytest.fixture
def fake(settings, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            "APPS": [{"client_id": "google-client", "secret": "google-secret"}],
            "SCOPE": ["openid", "email", "profile"],
        },
        "facebook": {
            "APPS": [{"client_id": "fb-client", "secret": "fb-secret"}],
            "METHOD": "oauth2",
            "SCOPE": ["email", "public_profile"],
            "FIELDS": ["id", "email", "name", "first_name", "last_name"],
        },
    }
    providers = FakeProviders(google_profile=dict(GOOGLE_PROFILE))
    monkeypatch.setattr(
        SocialAccountAdapter, "get_requests_session", lambda self: session_for(providers)
    )
    return providers


def _start(client, provider, **extra):
    response = client.post(reverse(f"{provider}_login"), extra)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    return location, parse_qs(location.query)


def _callback(client, provider, state, code="good-code"):
    return client.get(reverse(f"{provider}_callback"), {"code": code, "state": state})


def _finish_signup(client, **fields):
    data = {"age_confirmed": "on", "accept_privacy": "on", **fields}
    return client.post(reverse("socialaccount_signup"), data)


@pytest.mark.policy("P12")
def test_google_sign_up_stores_only_granted_profile_fields(client, fake):
    location, query = _start(client, "google")
    assert location.netloc == "accounts.google.com"
    assert query["client_id"] == ["google-client"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    response = _callback(client, "google", query["state"][0])
    # No silent sign-up: the visitor still answers the age and policy questions.
    assert response["Location"] == reverse("socialaccount_signup")
    page = client.get(reverse("socialaccount_signup")).content.decode()
    assert 'name="age_confirmed"' in page and 'value="ivy@gmail.example"' in page
    response = _finish_signup(client, username="ivy", email="ivy@gmail.example")
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="ivy")
    assert client.session[SESSION_KEY] == str(user.pk)
    account = SocialAccount.objects.get(user=user, provider="google")
    assert "birthday" not in account.extra_data and "gender" not in account.extra_data
    assert "picture" not in account.extra_data
    assert account.extra_data["email"] == "ivy@gmail.example"
    assert (user.first_name, user.last_name) == ("", "")
    assert PolicyAcceptance.objects.filter(user=user).exists()
    assert EmailAddress.objects.get(user=user).verified  # Google vouched for it
    assert fake.calls == [
        "POST oauth2.googleapis.com/token",
        "GET www.googleapis.com/oauth2/v2/userinfo",
    ]


def test_returning_google_user_is_signed_in_directly(client, fake):
    user = UserFactory(username="ivy", email="ivy@gmail.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    SocialAccount.objects.create(user=user, provider="google", uid=GOOGLE_PROFILE["id"])
    _, query = _start(client, "google")
    response = _callback(client, "google", query["state"][0])
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_forged_state_signs_nobody_in(client, fake):
    _start(client, "google")
    response = _callback(client, "google", "forged-state")
    assert SESSION_KEY not in client.session
    assert response.status_code == 401
    assert not SocialAccount.objects.exists()
    assert fake.calls == []


def test_bad_code_signs_nobody_in(client, fake):
    _, query = _start(client, "google")
    _callback(client, "google", query["state"][0], code="stolen")
    assert SESSION_KEY not in client.session
    assert not SocialAccount.objects.exists()


@pytest.mark.policy("P12")
def test_facebook_without_granted_email_asks_for_one_and_verifies_it(client, fake):
    fake.facebook_profile = {"id": "5550001", "name": "Jo Example", "first_name": "Jo"}
    location, query = _start(client, "facebook")
    assert location.netloc == "www.facebook.com"
    response = _callback(client, "facebook", query["state"][0])
    assert response.status_code == 302, (fake.calls, response.content.decode()[:3000])
    assert response["Location"] == reverse("socialaccount_signup")
    response = _finish_signup(client, username="joey", email="")
    assert 'id="id_email-errors"' in response.content.decode()
    response = _finish_signup(client, username="joey", email="jo@example.com")
    assert response["Location"] == reverse("account_email_verification_sent")
    account = SocialAccount.objects.get(provider="facebook")
    assert account.extra_data == {"id": "5550001", "name": "Jo Example", "first_name": "Jo"}
    assert not EmailAddress.objects.get(email="jo@example.com").verified


def test_under_13_social_sign_up_stores_nothing(client, fake):
    _, query = _start(client, "google")
    _callback(client, "google", query["state"][0])
    response = client.post(
        reverse("socialaccount_signup"),
        {"username": "ivy", "email": "ivy@gmail.example", "accept_privacy": "on"},
    )
    assert 'id="id_age_confirmed-errors"' in response.content.decode()
    assert not User.objects.exists() and not SocialAccount.objects.exists()


def test_link_and_unlink_google_from_my_account(client, fake):
    user = UserFactory(username="kim", email="kim@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    assert reverse("socialaccount_connections") in client.get("/account/").content.decode()
    _, query = _start(client, "google", process="connect")
    response = _callback(client, "google", query["state"][0])
    assert response.status_code == 302
    account = SocialAccount.objects.get(user=user, provider="google")
    assert "birthday" not in account.extra_data
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(user=user).exists()


def test_providers_are_off_when_not_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    page = client.get(reverse("account_login")).content.decode()
    assert "/accounts/google/login/" not in page
    assert "/accounts/facebook/login/" not in page
    assert client.post("/accounts/google/login/").status_code == 404


def test_configured_providers_are_offered_on_the_login_page(client, fake):
    page = client.get(reverse("account_login")).content.decode()
    assert "/accounts/google/login/" in page and "/accounts/facebook/login/" in page
