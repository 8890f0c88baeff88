"""Staff can disable an account at once (P34): sessions ended, sign-in refused."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from mailsoftly.accounts.services import user_disable
from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(db):
    user = UserFactory(username="kid", email="kid@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _login(client):
    return client.post(reverse("account_login"), {"login": "kid", "password": PASSWORD})


@pytest.mark.policy("P34")
def test_disabling_ends_sessions_and_refuses_sign_in(child):
    browser = Client()
    _login(browser)
    assert browser.get("/account/").status_code == 200
    user_disable(user=child, reason="Under 13 (reported by parent)")
    assert browser.get("/account/").status_code == 302
    fresh = Client()
    _login(fresh)
    assert SESSION_KEY not in fresh.session
    child.refresh_from_db()
    assert child.disabled_at is not None and not child.is_active
    assert child.disabled_reason == "Under 13 (reported by parent)"


@pytest.mark.policy("P34")
def test_admin_action_disables_at_once(child):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    browser = Client()
    _login(browser)
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "disable_accounts", "_selected_action": [child.pk]},
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert not child.is_active
    assert browser.get("/account/").status_code == 302
