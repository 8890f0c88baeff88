"""The webhook settings pages (admins only): add, see attempts, retry (P15)."""

from __future__ import annotations

import pytest

from mailsoftly.teams.models import Membership, Role
from mailsoftly.webhooks import selectors, services
from mailsoftly.webhooks.models import WebhookMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.policy("P15")


def test_admin_adds_an_endpoint_and_sees_the_secret_once(logged_in_client, workspace, receiver):
    response = logged_in_client.post(
        "/settings/webhooks/", {"url": receiver.url + "/h", "events": ["contact.created"]}
    )
    assert response.status_code == 200
    endpoint = selectors.webhook_endpoint_list(workspace=workspace).get()
    assert endpoint.secret.encode() in response.content
    assert endpoint.secret.encode() not in logged_in_client.get("/settings/webhooks/").content


def test_private_url_is_refused_next_to_the_field(logged_in_client, workspace):
    response = logged_in_client.post(
        "/settings/webhooks/", {"url": "http://10.0.0.1/h", "events": ["contact.created"]}
    )
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not selectors.webhook_endpoint_list(workspace=workspace).exists()


def test_detail_lists_attempts_and_retry_delivers(
    logged_in_client, workspace, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 500
    endpoint = services.webhook_endpoint_create(
        workspace=workspace, url=receiver.url, events=["contact.created"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_emit(workspace=workspace, event="contact.created", data={})
    page = logged_in_client.get(f"/settings/webhooks/{endpoint.pk}/")
    assert b"500" in page.content
    message = WebhookMessage.objects.for_workspace(workspace).get()
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        logged_in_client.post(f"/settings/webhooks/deliveries/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.status == "delivered"


def test_members_cannot_manage_webhooks(client, workspace):
    member = UserFactory()
    Membership.objects.create(workspace=workspace, user=member, role=Role.MEMBER)
    client.force_login(member)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    assert client.get("/settings/webhooks/").status_code == 403
