"""One campaign, several sending processes: who enqueues them, and how they split the
SMTP server's connections. (Two senders really running at once: test_concurrent_workers.)"""

from __future__ import annotations

import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns import tasks as campaign_tasks
from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailsoftly.config.celery import app
from mailsoftly.sending import routing
from mailsoftly.sending import services as sending_services
from tests.campaigns.helpers import make_campaign, make_list, people


@pytest.fixture
def enqueued(monkeypatch):
    """The sending tasks enqueued (as a worker would receive them), none run."""
    calls: list[dict] = []
    monkeypatch.setattr(campaign_tasks.campaign_send_task, "delay", lambda **kw: calls.append(kw))
    app.conf.task_always_eager = False  # the autouse _celery_eager fixture turns it back on
    yield calls
    app.conf.task_always_eager = True


def _sending_campaign(workspace, smtp_server, n=5):
    smtp_server.relay_for(workspace)
    contact_list, _ = make_list(workspace, people(n))
    campaign = make_campaign(workspace, contact_list)
    return campaign


def test_starting_a_campaign_enqueues_one_sender(
    workspace, smtp_server, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.SENDING_PARALLEL_TASKS = 3
    campaign = _sending_campaign(workspace, smtp_server)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send(campaign=campaign)
    # One sender freezes the audience; several would each walk the whole audience.
    assert enqueued == [{"workspace_id": workspace.pk, "campaign_id": campaign.pk, "fan_out": True}]


def test_the_run_that_freezes_the_audience_enqueues_the_helpers(
    workspace, smtp_server, settings, enqueued
):
    settings.SENDING_PARALLEL_TASKS = 3
    campaign = _sending_campaign(workspace, smtp_server)
    services.campaign_send(campaign=campaign, enqueue=False)
    sent = campaign_tasks.campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    assert sent == 5
    helper = {"workspace_id": workspace.pk, "campaign_id": campaign.pk, "fan_out": False}
    assert enqueued == [helper, helper]
    # A helper (or any run that finds the audience frozen) enqueues nobody.
    enqueued.clear()
    assert campaign_tasks.campaign_send_task(**helper) == 0
    assert (
        campaign_tasks.campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk) == 0
    )
    assert enqueued == []


def test_resuming_enqueues_every_sender_at_once(
    workspace, smtp_server, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.SENDING_PARALLEL_TASKS = 2
    campaign = _sending_campaign(workspace, smtp_server)
    services.campaign_send(campaign=campaign, enqueue=False)
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        status=CampaignStatus.PAUSED, audience_complete=True
    )
    campaign.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_resume(campaign=campaign)
    assert len(enqueued) == 2
    assert {call["fan_out"] for call in enqueued} == {True}


def test_an_in_process_run_sends_everything_itself(
    workspace, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SENDING_PARALLEL_TASKS = 4
    campaign = _sending_campaign(workspace, smtp_server, n=6)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send(campaign=campaign)  # eager: no other process to share with
    statuses = set(
        Delivery.objects.for_workspace(workspace)
        .filter(campaign=campaign)
        .values_list("status", flat=True)
    )
    assert statuses == {DeliveryStatus.SENT}
    assert len(smtp_server.messages) == 6


@pytest.mark.parametrize(
    ("maximum", "share", "each"), [(16, 2, 8), (5, 2, 3), (2, 4, 1), (4, 1, 4)]
)
def test_senders_split_the_servers_connections(workspace, maximum, share, each):
    server = sending_services.smtp_server_create(
        workspace=workspace,
        name="Pool",
        host="127.0.0.1",
        port=2525,
        security="none",
        max_connections=maximum,
    )
    messenger = routing.messenger_for(workspace=workspace, server=server, share=share)
    try:
        assert messenger.config.max_connections == each
    finally:
        messenger.close()


def test_a_sender_held_by_the_screen_after_another_paused_the_campaign_ends_quietly(
    workspace, smtp_server, monkeypatch
):
    from mailsoftly import screening
    from mailsoftly.screening.services.screen import Gate

    campaign = _sending_campaign(workspace, smtp_server)
    services.campaign_send(campaign=campaign, enqueue=False)

    def held_after_the_other_sender_paused(**kwargs):
        # The other sender's screen held the content and paused the campaign first.
        services.campaign_pause(campaign=campaign, reason="held")
        return Gate(allowed=False, decision="hold", message="held")

    monkeypatch.setattr(screening.services, "screening_gate", held_after_the_other_sender_paused)
    sent = campaign_tasks.campaign_send_task(workspace_id=workspace.pk, campaign_id=campaign.pk)
    assert sent == 0
    assert Campaign.objects.for_workspace(workspace).get(pk=campaign.pk).status == "paused"
    assert smtp_server.messages == []
