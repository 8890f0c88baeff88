"""The apps tell subscribed endpoints what happened (P15)."""

import datetime as dt

import pytest

from mailsoftly.campaigns import services as campaigns
from mailsoftly.campaigns.models import Delivery
from mailsoftly.core import clock
from mailsoftly.tracking import tokens
from mailsoftly.tracking.recorder import drain
from mailsoftly.webhooks.models import WebhookMessage
from mailsoftly.webhooks.services import webhook_endpoint_create
from tests.campaigns.helpers import make_campaign, make_list, people

pytestmark = pytest.mark.policy("P15")


def test_campaign_and_engagement_events_reach_a_subscribed_endpoint(
    client, workspace, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    webhook_endpoint_create(
        workspace=workspace,
        url="http://127.0.0.1:9/hook",
        events=["campaign.started", "campaign.finished", "delivery.opened"],
    )
    contact_list, _ = make_list(workspace, people(2))
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=False, using=workspace.database):
        campaigns.campaign_send(campaign=campaign)
    from mailsoftly.campaigns.tasks import campaign_run

    campaign.refresh_from_db()
    campaign_run(campaign=campaign)
    delivery = Delivery.objects.for_workspace(workspace).filter(campaign=campaign).first()
    Delivery.objects.for_workspace(workspace).update(sent_at=clock.now() - dt.timedelta(minutes=5))
    client.get(
        f"/o/{tokens.open_token(region='us', delivery_id=delivery.pk)}.gif",
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
    )
    drain(claim_idle_ms=0)
    events = list(WebhookMessage.objects.for_workspace(workspace).values_list("event", flat=True))
    assert sorted(events) == ["campaign.finished", "campaign.started", "delivery.opened"]
    opened = WebhookMessage.objects.for_workspace(workspace).get(event="delivery.opened")
    assert opened.payload["data"]["delivery"]["id"] == delivery.pk
