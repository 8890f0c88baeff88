"""Sending tells subscribed webhook endpoints what happened to each message (P15):
``delivery.sent`` when the server took it, ``contact.bounced`` / ``contact.complained``
when a bounce or complaint comes back."""

from __future__ import annotations

import pytest

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Delivery
from mailsoftly.sending import services as sending_services
from mailsoftly.sending.bounce_services import DUPLICATE, bounce_process
from mailsoftly.webhooks.models import WebhookMessage
from mailsoftly.webhooks.services import webhook_endpoint_create
from tests.campaigns.helpers import make_campaign, make_list
from tests.sending.test_bounces import arf, dsn

EVENTS = ["delivery.sent", "contact.bounced", "contact.complained"]


def _messages(workspace, event):
    return list(WebhookMessage.objects.for_workspace(workspace).filter(event=event).order_by("pk"))


def _send(workspace, smtp_server, capture):
    sending_services.smtp_server_create(
        workspace=workspace,
        name="Test relay",
        host=smtp_server.host,
        port=smtp_server.port,
        security="none",
        is_default=True,
    )
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann"), ("bo@example.org", "Bo")])
    campaign = make_campaign(workspace, contact_list)
    with capture(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    return campaign, {m.rcpt_tos[0]: m.data for m in smtp_server.messages}


@pytest.fixture
def subscribed(workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return webhook_endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=EVENTS
    )


@pytest.mark.policy("P15")
@pytest.mark.usefixtures("subscribed")
def test_each_accepted_message_is_a_delivery_sent_event(
    workspace, smtp_server, django_capture_on_commit_callbacks
):
    campaign, _ = _send(workspace, smtp_server, django_capture_on_commit_callbacks)
    sent = _messages(workspace, "delivery.sent")
    deliveries = Delivery.objects.for_workspace(workspace).filter(campaign=campaign)
    assert sorted(m.payload["data"]["delivery"]["id"] for m in sent) == sorted(
        deliveries.values_list("pk", flat=True)
    )
    assert {m.payload["data"]["delivery"]["campaign_id"] for m in sent} == {campaign.pk}


@pytest.mark.policy("P15")
@pytest.mark.usefixtures("subscribed")
def test_a_bounce_and_a_complaint_are_contact_events_once_each(
    workspace, smtp_server, django_capture_on_commit_callbacks
):
    _, received = _send(workspace, smtp_server, django_capture_on_commit_callbacks)
    raw = dsn(original=received["ann@example.org"])
    bounce_process(raw=raw)
    assert bounce_process(raw=raw).action == DUPLICATE
    bounce_process(raw=arf(original=received["bo@example.org"], recipient="bo@x"))

    [bounced] = _messages(workspace, "contact.bounced")
    assert bounced.payload["data"]["contact"]["email"] == "ann@example.org"
    assert bounced.payload["data"]["kind"] == "hard"
    [complained] = _messages(workspace, "contact.complained")
    assert complained.payload["data"]["contact"]["email"] == "bo@example.org"


def test_without_a_subscribed_endpoint_nothing_is_queued(
    workspace, smtp_server, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    webhook_endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=["campaign.started"]
    )
    _send(workspace, smtp_server, django_capture_on_commit_callbacks)
    assert _messages(workspace, "delivery.sent") == []
