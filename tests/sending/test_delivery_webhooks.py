"""Sending tells subscribed webhook endpoints what happened to each message (P15):
``delivery.sent`` when the server took it, ``contact.bounced`` / ``contact.complained``
when a bounce or complaint comes back."""

from __future__ import annotations

import pytest

from mailsoftly.campaigns.models import Delivery
from mailsoftly.sending.bounce_services import DUPLICATE, bounce_process
from mailsoftly.webhooks.models import WebhookMessage
from mailsoftly.webhooks.services import webhook_endpoint_create
from tests.sending.test_bounces import arf, dsn, sent  # noqa: F401

EVENTS = ["delivery.sent", "contact.bounced", "contact.complained"]


def _messages(workspace, event):
    return list(WebhookMessage.objects.for_workspace(workspace).filter(event=event).order_by("pk"))


@pytest.fixture
def subscribed(workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return webhook_endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=EVENTS
    )


# ``subscribed`` comes before ``sent`` in each signature: the endpoint exists before sending.
@pytest.mark.policy("P15")
def test_each_accepted_message_is_a_delivery_sent_event(workspace, subscribed, sent):  # noqa: F811
    campaign, _ = sent
    announced = _messages(workspace, "delivery.sent")
    deliveries = Delivery.objects.for_workspace(workspace).filter(campaign=campaign)
    assert sorted(m.payload["data"]["delivery"]["id"] for m in announced) == sorted(
        deliveries.values_list("pk", flat=True)
    )
    assert {m.payload["data"]["delivery"]["campaign_id"] for m in announced} == {campaign.pk}


@pytest.mark.policy("P15")
def test_a_bounce_and_a_complaint_are_contact_events_once_each(workspace, subscribed, sent):  # noqa: F811
    _, received = sent
    raw = dsn(original=received["ann@example.org"])
    bounce_process(raw=raw)
    assert bounce_process(raw=raw).action == DUPLICATE
    bounce_process(raw=arf(original=received["bo@example.org"], recipient="bo@x"))

    [bounced] = _messages(workspace, "contact.bounced")
    assert bounced.payload["data"]["contact"]["email"] == "ann@example.org"
    assert bounced.payload["data"]["kind"] == "hard"
    [complained] = _messages(workspace, "contact.complained")
    assert complained.payload["data"]["contact"]["email"] == "bo@example.org"


@pytest.fixture
def other_events(workspace, settings):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return webhook_endpoint_create(
        workspace=workspace, url="http://127.0.0.1:9/hook", events=["campaign.started"]
    )


def test_without_a_subscribed_endpoint_nothing_is_queued(workspace, other_events, sent):  # noqa: F811
    assert _messages(workspace, "delivery.sent") == []
    assert _messages(workspace, "campaign.started") != []
