"""Campaign tasks. They take ids, load what they need and are safe to run twice."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError

from mailsoftly.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailsoftly.core import clock

log = logging.getLogger(__name__)
STALE = timedelta(seconds=60)


def _load(workspace_id: int, campaign_id: int) -> Campaign | None:
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return None
    campaign = Campaign.objects.for_workspace(workspace).filter(pk=campaign_id).first()
    if campaign is not None:
        campaign.workspace = workspace
    return campaign


def parallel_tasks() -> int:
    """How many tasks send one campaign at once: ``SENDING_PARALLEL_TASKS``, by default
    one per core of this machine (composing and signing are CPU-bound, and one Python
    process uses one core). The store lets any number share a campaign."""
    return max(1, getattr(settings, "SENDING_PARALLEL_TASKS", None) or os.cpu_count() or 1)


def campaign_senders_enqueue(
    *, workspace_id: int, campaign_id: int, count: int, helpers: bool = False
) -> None:
    """Enqueue ``count`` sending tasks for a campaign. ``helpers`` are enqueued by a run
    that froze the audience; they never enqueue more.

    An in-process (eager) run has no other process to share the work with: one sender at
    most, and no helpers."""
    if campaign_send_task.app.conf.task_always_eager:
        count = 0 if helpers else min(count, 1)
    for _ in range(count):
        campaign_send_task.delay(
            workspace_id=workspace_id, campaign_id=campaign_id, fan_out=not helpers
        )


def campaign_run(*, campaign: Campaign, messenger=None, fan_out: bool = True):
    """Freeze the audience (once) and send what is due, with this process's engine.

    The run that freezes the audience enqueues helpers (``fan_out``), so that
    :func:`parallel_tasks` processes send it together, each with its share of the SMTP
    server's connections. ``messenger`` overrides the routing (the demo forces the
    local capture)."""
    from mailsoftly.campaigns import audience
    from mailsoftly.campaigns.compose import Composer
    from mailsoftly.campaigns.store import DeliveryStore
    from mailsoftly.sending import engine
    from mailsoftly.sending.routing import messenger_for

    if campaign.status != CampaignStatus.SENDING:
        return None
    if not campaign.audience_complete and not _screening_allows(campaign):
        return None
    if not campaign.audience_complete:
        audience.freeze(campaign=campaign)
        Campaign.objects.for_workspace(campaign.workspace).filter(pk=campaign.pk).update(
            audience_complete=True
        )
        campaign.audience_complete = True
        if fan_out:
            campaign_senders_enqueue(
                workspace_id=campaign.workspace_id,
                campaign_id=campaign.pk,
                count=parallel_tasks() - 1,
                helpers=True,
            )
    store = DeliveryStore(campaign=campaign)
    if messenger is None:
        messenger = messenger_for(
            workspace=campaign.workspace,
            server=campaign.smtp_server,
            campaign_id=campaign.pk,
            share=parallel_tasks(),
        )
    try:
        report = engine.run(
            store=store,
            messenger=messenger,
            compose=Composer(campaign=campaign),
            limits=engine.Limits(batch_size=getattr(settings, "SENDING_BATCH_SIZE", 200)),
        )
    finally:
        messenger.close()
    log.info("campaign %s: %s", campaign.pk, report)
    return report


def _screening_allows(campaign: Campaign) -> bool:
    """Every campaign passes the content screen before its first message (P16).

    Held content pauses the campaign until an operator approves it (approval resumes it);
    blocked content pauses it with the reasons, for the user to edit and resubmit.
    """
    from mailsoftly.campaigns.services import campaign_pause
    from mailsoftly.screening.services import screening_gate

    gate = screening_gate(workspace=campaign.workspace, campaign_id=campaign.pk)
    if gate.allowed:
        return True
    try:
        campaign_pause(campaign=campaign, reason=gate.message)
    except ValidationError:
        # Another sender of this campaign (or a person) stopped it first: nothing to do.
        log.info("campaign %s: already stopped when screening held it", campaign.pk)
        return False
    log.info("campaign %s: %s by screening", campaign.pk, gate.decision)
    return False


@shared_task(name="campaigns.campaign_send", acks_late=True)
def campaign_send_task(*, workspace_id: int, campaign_id: int, fan_out: bool = True) -> int:
    """Send a campaign's due deliveries. Any number may run at once; none sends twice.

    ``fan_out=False`` marks a helper enqueued by another run: it never enqueues more."""
    campaign = _load(workspace_id, campaign_id)
    if campaign is None:
        return 0
    report = campaign_run(campaign=campaign, fan_out=fan_out)
    return report.sent if report else 0


@shared_task(name="campaigns.transactional_send", acks_late=True, queue="transactional")
def transactional_send_task(*, workspace_id: int, delivery_id: int) -> int:
    """Send one transactional delivery. Safe to run twice: the claim lets one run send."""
    from mailsoftly.campaigns.transactional import transactional_run
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    reports = transactional_run(workspace=workspace, delivery_ids=[delivery_id])
    return sum(report.sent for report in reports)


def _transactional_due(region: str, now) -> list[tuple[int, int]]:
    """Transactional deliveries due a retry, or whose worker died (lease expired)."""
    from django.db.models import Q

    return list(
        Delivery.objects.dangerously_all_workspaces(region)
        .filter(idempotency_key__isnull=False)
        .filter(
            Q(status=DeliveryStatus.QUEUED, not_before__lte=now)
            # Never picked up (its message to the broker was lost).
            | Q(status=DeliveryStatus.QUEUED, not_before=None, created_at__lt=now - STALE)
            | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
        )
        .values_list("workspace_id", "pk")[:1000]
    )


@shared_task(name="campaigns.campaign_sweep")
def campaign_sweep_task() -> int:
    """Beat, every few seconds: start due scheduled campaigns, and pick up sending ones
    with due retries or expired leases (a worker died)."""
    from django.db.models import Q

    from mailsoftly.campaigns.services import campaign_start_due
    from mailsoftly.core.regions import REGION_DATABASES

    campaign_start_due()
    now = clock.now()
    enqueued = 0
    for region in REGION_DATABASES:
        due = (
            Delivery.objects.dangerously_all_workspaces(region)
            .filter(campaign__status=CampaignStatus.SENDING, idempotency_key__isnull=True)
            .filter(
                Q(status=DeliveryStatus.QUEUED, not_before__isnull=True)
                | Q(status=DeliveryStatus.QUEUED, not_before__lte=now)
                | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
            )
            .values_list("workspace_id", "campaign_id")
            .distinct()
        )
        unfrozen = (
            Campaign.objects.dangerously_all_workspaces(region)
            .filter(status=CampaignStatus.SENDING, audience_complete=False)
            .values_list("workspace_id", "id")
        )
        for workspace_id, campaign_id in {*due, *unfrozen}:
            campaign_send_task.delay(workspace_id=workspace_id, campaign_id=campaign_id)
            enqueued += 1
        for workspace_id, delivery_id in _transactional_due(region, now):
            transactional_send_task.apply_async(
                kwargs={"workspace_id": workspace_id, "delivery_id": delivery_id},
                queue="transactional",
                priority=9,
            )
            enqueued += 1
    return enqueued
