"""Cookies (P33): only essential ones, flagged HttpOnly and SameSite=Lax, and a banner."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse

from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ESSENTIAL = {"sessionid", "csrftoken", "django_language"}


@pytest.mark.policy("P04", "P33")
def test_session_and_csrf_cookies_are_httponly_and_lax(client):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    user = UserFactory(username="fay", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    login_page = client.get(reverse("account_login"))
    csrf = login_page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(reverse("account_login"), {"login": "fay", "password": PASSWORD})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def _settings_for(monkeypatch, **changes) -> dict:
    """Evaluate settings.py afresh against a changed environment."""
    import dataclasses
    import runpy

    from mailsoftly.config import env
    from mailsoftly.config import settings as live

    changed = dataclasses.replace(env.get(), **changes)
    monkeypatch.setattr(env, "get", lambda: changed)
    return runpy.run_path(live.__file__)


@pytest.mark.policy("P04", "P33")
def test_production_cookies_are_secure_and_embedded_ones_are_not(monkeypatch):
    production = _settings_for(monkeypatch, mode="production", base_url="https://mail.example.com")
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE"):
        assert production.get(name) is True, name
    embedded = _settings_for(monkeypatch, mode="embedded")
    assert not embedded.get("SESSION_COOKIE_SECURE", False)


@pytest.mark.policy("P12")
def test_social_providers_are_configured_only_from_the_environment(monkeypatch):
    assert _settings_for(monkeypatch)["SOCIALACCOUNT_PROVIDERS"] == {}
    configured = _settings_for(monkeypatch, google_client_id="g-id", google_secret="g-secret")[
        "SOCIALACCOUNT_PROVIDERS"
    ]
    assert set(configured) == {"google"}
    assert configured["google"]["APPS"][0]["client_id"] == "g-id"


@pytest.mark.policy("P33")
def test_banner_is_shown_until_the_visitor_chooses(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'id="cookie-banner"' in page
    assert 'value="refuse"' in page
    response = client.post(
        reverse("accounts:cookie_consent"), {"choice": "refuse", "next": "/accounts/login/"}
    )
    assert response["Location"] == "/accounts/login/"
    page = client.get(reverse("account_login")).content.decode()
    assert 'id="cookie-banner"' not in page
    assert client.session["cookie_consent"] == "refused"


def test_banner_next_cannot_send_the_visitor_elsewhere(client):
    response = client.post(
        reverse("accounts:cookie_consent"), {"choice": "accept", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.policy("P33")
def test_a_full_visit_sets_only_essential_cookies(client):
    """Sign up, verify, sign in with remember-me, change settings, refuse cookies."""
    from django.core import mail

    seen: set[str] = set()

    def visit(response):
        seen.update(response.cookies.keys())
        return response

    visit(client.get("/accounts/signup/?utm_source=ad", HTTP_REFERER="https://ads.example/"))
    visit(
        client.post(
            reverse("account_signup"),
            {
                "username": "gus",
                "email": "gus@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "age_confirmed": "on",
                "accept_privacy": "on",
            },
        )
    )
    link = next(
        line
        for m in mail.outbox
        for line in m.body.splitlines()
        if "/accounts/confirm-email/" in line
    )
    path = link[link.index("/accounts/confirm-email/") :].strip()
    visit(client.get(path))
    visit(client.post(path))
    visit(client.post(reverse("account_logout")))
    visit(
        client.post(
            reverse("account_login"), {"login": "gus", "password": PASSWORD, "remember": "on"}
        )
    )
    visit(client.get("/"))
    visit(client.get("/account/"))
    visit(
        client.post(
            "/account/",
            {"section": "preferences", "username": "gus", "language": "de", "timezone": "UTC"},
        )
    )
    visit(client.post(reverse("accounts:cookie_consent"), {"choice": "refuse"}))
    visit(client.get("/account/"))
    assert seen <= ESSENTIAL, seen - ESSENTIAL
    assert set(client.cookies.keys()) <= ESSENTIAL


@pytest.mark.policy("P33", "P11")
def test_refusing_cookies_drops_and_stops_referral_tracking(client):
    client.get("/accounts/signup/?utm_source=ad")
    assert "accounts_first_touch" in client.session
    client.post(reverse("accounts:cookie_consent"), {"choice": "refuse"})
    assert "accounts_first_touch" not in client.session
    client.get("/accounts/signup/?utm_source=again", HTTP_REFERER="https://x.example/")
    assert "accounts_first_touch" not in client.session
