"""POST /api/v1/transactional: scope, Idempotency-Key, problem+json, a real SMTP server."""

from __future__ import annotations

import pytest

from mailsoftly.campaigns.models import Delivery, DeliveryStatus
from tests.api.helpers import auth, make_key
from tests.campaigns.helpers import make_design


@pytest.fixture
def relay(workspace, smtp_server):
    return smtp_server.relay_for(workspace, max_connections=1)


@pytest.fixture
def receipt(workspace):
    design = make_design(workspace, subject="Receipt {{ contact.order }}")
    design.from_email = "orders@shop.example"
    design.save()
    return design


def _post(client, token, body, key=None):
    headers = auth(token)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        "/api/v1/transactional", body, content_type="application/json", headers=headers
    )


def test_send_is_accepted_sent_once_and_readable(
    client, api_token, workspace, smtp_server, relay, receipt, django_capture_on_commit_callbacks
):
    body = {"design_id": receipt.pk, "to": "ann@example.org", "data": {"order": "A-1"}}
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        first = _post(client, api_token, body, key="order-A-1")
    assert first.status_code == 202, first.content
    sent = first.json()
    assert sent["to"] == "ann@example.org" and sent["idempotency_key"] == "order-A-1"
    # Same key, same body: the gateway replays the answer; nothing is sent again.
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        again = _post(client, api_token, body, key="order-A-1")
    assert again.json()["id"] == sent["id"]
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].message["Subject"] == "Receipt A-1"
    status = client.get(f"/api/v1/transactional/{sent['id']}", headers=auth(api_token))
    assert status.status_code == 200
    assert status.json()["status"] == DeliveryStatus.SENT
    assert status.json()["message_id"] == smtp_server.messages[0].message["Message-ID"]


def test_same_key_through_another_api_key_still_sends_once(
    client, api_token, workspace, user, smtp_server, relay, receipt,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    other_token = make_key(workspace, user)[1]
    body = {"design_id": receipt.pk, "to": "bo@example.org"}
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        first = _post(client, api_token, body, key="welcome-bo")
        second = _post(client, other_token, body, key="welcome-bo")
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert len(smtp_server.messages) == 1


def test_key_reused_for_another_address_is_a_409_problem(
    client, api_token, workspace, user, receipt
):
    other_token = make_key(workspace, user)[1]
    assert (
        _post(client, api_token, {"design_id": receipt.pk, "to": "c@example.org"}, "k").status_code
        == 202
    )
    response = _post(client, other_token, {"design_id": receipt.pk, "to": "d@example.org"}, "k")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/problem+json")
    assert Delivery.objects.for_workspace(workspace).count() == 1


def test_needs_the_transactional_write_scope(client, workspace, user, receipt):
    _key, token = make_key(workspace, user, scopes=["campaigns:write", "transactional:read"])
    response = _post(client, token, {"design_id": receipt.pk, "to": "e@example.org"})
    assert response.status_code == 403
    assert response.json()["type"].endswith("insufficient-scope")
    assert not Delivery.objects.for_workspace(workspace).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "not-an-address"}, "to"),
        ({"to": "f@example.org", "design_id": 999999}, "design_id"),
        ({"to": "f@example.org", "unknown": 1}, "unknown"),
        ({"to": "f@example.org", "data": ["not", "an", "object"]}, "data"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    client, api_token, workspace, receipt, body, field
):
    response = _post(client, api_token, {"design_id": receipt.pk, **body})
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {error["field"].split(".")[0] for error in response.json()["errors"]}
    assert not Delivery.objects.for_workspace(workspace).exists()


@pytest.mark.policy("P01")
def test_another_workspaces_design_is_not_found(client, api_token):
    from mailsoftly.teams.services import workspace_create
    from tests.factories import UserFactory

    other_workspace = workspace_create(owner=UserFactory(), name="Theirs")
    theirs = make_design(other_workspace)
    response = _post(client, api_token, {"design_id": theirs.pk, "to": "g@example.org"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "design_id", "message": "No such design."}]
    assert not Delivery.objects.for_workspace(other_workspace).exists()
