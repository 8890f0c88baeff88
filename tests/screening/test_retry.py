"""Holds because spamd was down are screened again by beat, with backoff, and a campaign
that comes out clean resumes on its own (P16).

The fake spamd goes down (its URL points at a closed port) and comes back; the beat task
is driven directly and time moves with time-machine, never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, CampaignStatus
from mailsoftly.core import clock
from mailsoftly.screening import services, spamassassin
from mailsoftly.screening.models import Review, ScreeningResult
from mailsoftly.screening.services.screen import retry_delay
from mailsoftly.screening.tasks import screening_retry_due_task
from tests.campaigns.helpers import make_campaign, make_list

pytestmark = [pytest.mark.policy("P16"), pytest.mark.django_db]


@pytest.fixture
def relay(workspace, smtp_server):
    smtp_server.relay_for(workspace, max_connections=1)
    return smtp_server


def held_campaign(workspace, django_capture_on_commit_callbacks):
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann")])
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    return Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)


def result_of(workspace, campaign) -> ScreeningResult:
    return ScreeningResult.objects.for_workspace(workspace).get(campaign_id=campaign.pk)


def test_backoff_doubles_up_to_the_ceiling(settings):
    settings.SCREENING_RETRY_BASE = 60
    settings.SCREENING_RETRY_MAX = 3600
    assert [retry_delay(n).total_seconds() for n in range(8)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert retry_delay(10_000).total_seconds() == 3600


def test_the_retry_sweep_is_on_the_beat_schedule():
    from django.conf import settings

    from mailsoftly.config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["screening.retry_due"]
    assert entry["task"] == "screening.retry_due" == screening_retry_due_task.name
    assert app.conf.beat_schedule["screening.retry_due"]["task"] == "screening.retry_due"
    assert "screening.retry" in app.tasks


def test_a_campaign_held_while_spamd_was_down_resumes_once_spamd_answers_clean(
    workspace, relay, settings, with_spamd, down_url, django_capture_on_commit_callbacks
):
    settings.SCREENING_SPAMD_URL = down_url
    settings.SCREENING_RETRY_BASE = 60
    settings.SCREENING_RETRY_MAX = 3600
    start = clock.now()
    with time_machine.travel(start, tick=False):
        campaign = held_campaign(workspace, django_capture_on_commit_callbacks)
        assert campaign.status == CampaignStatus.PAUSED
        assert relay.messages == []
        held = result_of(workspace, campaign)
        assert held.decision == "hold" and held.review == Review.PENDING
        assert spamassassin.UNAVAILABLE in [r["code"] for r in held.reasons]
        assert held.retry_at == start + timedelta(seconds=60) and held.retry_count == 0

    # Not due yet: nobody is asked.
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert screening_retry_due_task() == 0

    # Due, but spamd is still down: held again, the next try twice as far off.
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
            assert screening_retry_due_task() == 1
        held.refresh_from_db()
        assert held.review == Review.PENDING and held.retry_count == 1
        assert held.retry_at == start + timedelta(seconds=61 + 120)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED

    # spamd is back; the backoff still holds the next try until it is due.
    settings.SCREENING_SPAMD_URL = with_spamd.url
    with_spamd.score = 1.0
    with time_machine.travel(start + timedelta(seconds=180), tick=False):
        assert screening_retry_due_task() == 0
    assert with_spamd.requests == []

    with (
        time_machine.travel(start + timedelta(seconds=182), tick=False),
        django_capture_on_commit_callbacks(execute=True, using=workspace.database),
    ):
        assert screening_retry_due_task() == 1
    held.refresh_from_db()
    assert len(with_spamd.requests) == 1
    assert held.decision == "pass" and held.review == Review.NONE and held.retry_at is None
    codes = [r["code"] for r in held.reasons]
    assert "spamassassin" in codes and spamassassin.UNAVAILABLE not in codes
    campaign.refresh_from_db()
    assert campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT)
    assert campaign.status_reason == ""
    # The resumed campaign went out through the normal send path.
    assert [m.rcpt_tos for m in relay.messages] == [["ann@example.org"]]


def test_a_retry_that_finds_real_spam_keeps_the_hold_for_an_operator(
    workspace, relay, settings, with_spamd, down_url, django_capture_on_commit_callbacks
):
    settings.SCREENING_SPAMD_URL = down_url
    campaign = held_campaign(workspace, django_capture_on_commit_callbacks)
    settings.SCREENING_SPAMD_URL = with_spamd.url
    with_spamd.score = 9.0
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        assert screening_retry_due_task() == 1
        assert screening_retry_due_task() == 0  # no longer retried
    held = result_of(workspace, campaign)
    assert held.decision == "hold" and held.review == Review.PENDING and held.retry_at is None
    assert "spamassassin" in [r["code"] for r in held.reasons]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert relay.messages == []


def test_a_campaign_a_person_paused_is_not_resumed_by_a_clean_retry(
    workspace, relay, settings, with_spamd, down_url, django_capture_on_commit_callbacks
):
    settings.SCREENING_SPAMD_URL = down_url
    campaign = held_campaign(workspace, django_capture_on_commit_callbacks)
    # The user asked for it to stay paused meanwhile (a reason of their own).
    Campaign.objects.for_workspace(workspace).filter(pk=campaign.pk).update(
        status_reason="Paused by a team member."
    )
    settings.SCREENING_SPAMD_URL = with_spamd.url
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        assert screening_retry_due_task() == 1
    assert result_of(workspace, campaign).decision == "pass"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    assert relay.messages == []


def test_an_operator_decision_made_meanwhile_stops_the_retries(
    workspace, relay, settings, with_spamd, down_url, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    settings.SCREENING_SPAMD_URL = down_url
    campaign = held_campaign(workspace, django_capture_on_commit_callbacks)
    held = result_of(workspace, campaign)
    services.screening_block(result=held, reviewer=UserFactory(is_staff=True), comment="no")
    settings.SCREENING_SPAMD_URL = with_spamd.url
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        assert screening_retry_due_task() == 0
    assert with_spamd.requests == []
    held.refresh_from_db()
    assert held.review == Review.BLOCKED


def test_a_due_retry_is_handed_out_once(workspace, settings, down_url):
    settings.SCREENING_SPAMD_URL = down_url
    held = services.content_screen(
        workspace=workspace,
        subject="Spring news",
        from_address="news@shop.example",
        html="<p>Our spring plants are in.</p>",
        text="Unsubscribe: {{ unsubscribe_url }}",
        kind="test",
    )
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        assert services.screening_retry_due() == [(workspace.pk, held.pk)]
        # A second beat (or the next sweep) while the task waits in the queue.
        assert services.screening_retry_due() == []


def test_a_test_send_held_while_spamd_was_down_passes_once_it_answers(
    workspace, settings, with_spamd, down_url
):
    settings.SCREENING_SPAMD_URL = down_url
    gate = services.test_send_gate(
        workspace=workspace,
        subject="Spring news",
        from_address="news@shop.example",
        html="<p>Our spring plants are in. Come and see them.</p>",
        text="Our spring plants are in. Unsubscribe: {{ unsubscribe_url }}",
    )
    assert gate.decision == "hold"
    settings.SCREENING_SPAMD_URL = with_spamd.url
    with time_machine.travel(clock.now() + timedelta(hours=2), tick=False):
        assert screening_retry_due_task() == 1
    result = ScreeningResult.objects.for_workspace(workspace).get(pk=gate.result_id)
    assert result.decision == "pass" and result.review == Review.NONE
    assert result.retry_at is None and len(with_spamd.requests) == 1
