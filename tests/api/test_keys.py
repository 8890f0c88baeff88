"""API keys: stored hashed, shown once, and stop at once when access ends (P15)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine

from mailsoftly.api.models import ApiKey
from mailsoftly.api.services import api_key_create, api_key_revoke
from mailsoftly.core import clock
from mailsoftly.lifecycle import hooks
from mailsoftly.teams.models import Membership
from tests.api.helpers import auth, make_key

pytestmark = pytest.mark.policy("P15")


def _contacts(client, token):
    return client.get("/api/v1/contacts", headers=auth(token))


def test_key_is_stored_only_as_its_hash(workspace, user):
    key, token = make_key(workspace, user)
    stored = ApiKey.objects.get(pk=key.pk)
    assert token not in repr(list(ApiKey.objects.values()))
    assert stored.secret_hash == hashlib.sha256(token.encode()).hexdigest()


def test_a_valid_key_works_and_records_last_use(client, workspace, user):
    key, token = make_key(workspace, user)
    response = client.get("/api/v1/contacts", headers=auth(token), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_ip == "203.0.113.9"


@pytest.mark.parametrize("header", ["", "Bearer nonsense", "Bearer msk_abc_def", "Basic abc"])
def test_missing_or_wrong_key_is_401_problem(client, workspace, header):
    response = client.get("/api/v1/contacts", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"] and body["type"]


def test_a_tampered_secret_with_a_real_prefix_is_refused(client, workspace, user):
    _key, token = make_key(workspace, user)
    assert _contacts(client, token[:-2] + "xx").status_code == 401


def test_revoked_key_stops_at_once(client, workspace, user):
    key, token = make_key(workspace, user)
    assert _contacts(client, token).status_code == 200
    api_key_revoke(api_key=key)
    assert _contacts(client, token).status_code == 401


def test_deleted_key_stops(client, workspace, user):
    key, token = make_key(workspace, user)
    key.delete()
    assert _contacts(client, token).status_code == 401


def test_expired_key_is_refused(client, workspace, user):
    _key, token = make_key(workspace, user, expires_at=clock.now() + timedelta(hours=1))
    assert _contacts(client, token).status_code == 200
    with time_machine.travel(clock.now() + timedelta(hours=2)):
        assert _contacts(client, token).status_code == 401


def test_key_stops_when_creator_membership_is_disabled(client, workspace, user):
    _key, token = make_key(workspace, user)
    Membership.objects.filter(workspace=workspace, user=user).update(disabled_at=clock.now())
    assert _contacts(client, token).status_code == 401


def test_key_stops_when_creator_account_is_disabled(client, workspace, user):
    _key, token = make_key(workspace, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _contacts(client, token).status_code == 401


def test_account_disabled_hook_revokes_keys(workspace, user):
    key, _token = make_key(workspace, user)
    assert hooks.run("account_disabled", user=user) == []
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_key_needs_name_and_known_scopes(workspace, user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        api_key_create(workspace=workspace, user=user, name=" ", scopes=["contacts:read"])
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        api_key_create(workspace=workspace, user=user, name="x", scopes=["root:all"])
    assert "scopes" in exc.value.message_dict


def test_read_scope_cannot_write(client, workspace, user):
    _key, token = make_key(workspace, user, scopes=["contacts:read"])
    assert _contacts(client, token).status_code == 200
    response = client.post(
        "/api/v1/contacts",
        {"email": "a@example.org"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 403
    assert "contacts:write" in response.json()["detail"]
    assert client.get("/api/v1/lists", headers=auth(token)).status_code == 403


def test_keys_page_creates_shows_token_once_and_revokes(logged_in_client, workspace):
    response = logged_in_client.post(
        "/settings/api-keys/", {"name": "Zapier", "scopes": ["contacts:read"]}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(workspace=workspace)
    token = response.context["token"]
    assert token.startswith(f"msk_{key.prefix}_")
    assert token.encode() in response.content
    listing = logged_in_client.get("/settings/api-keys/")
    assert token.encode() not in listing.content
    logged_in_client.post(f"/settings/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_keys_page_is_admin_only(client, workspace):
    from mailsoftly.teams.models import Role
    from tests.factories import UserFactory

    member = UserFactory()
    Membership.objects.create(workspace=workspace, user=member, role=Role.MEMBER)
    client.force_login(member)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert client.get("/settings/api-keys/").status_code == 403


def test_a_plan_without_api_access_is_403_with_billing_message(client, workspace, user):
    from mailsoftly.billing.models import Subscription

    _key, token = make_key(workspace, user)
    Subscription.objects.filter(workspace=workspace).delete()
    response = _contacts(client, token)
    assert response.status_code == 403
    assert "Free plan" in response.json()["detail"]
