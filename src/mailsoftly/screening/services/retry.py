"""Screening again what was held only because a check could not run.

A campaign held because spamd was down or a check timed out is not suspect: nobody has
looked at it yet. The ``screening.retry_due`` beat task (:func:`screening_retry_due`) finds
such holds whose ``retry_at`` has come, and :func:`screening_retry` screens each again
through the same gate the sending engine asks. While the check still cannot run, the next
try backs off (:func:`~.screen.retry_delay`). Once it answers:

* a clean verdict lets the content pass, and a campaign that screening had paused resumes
  through :func:`mailsoftly.campaigns.services.campaign_resume`, as after an operator's
  approval;
* a verdict that holds for a real reason stays in the operator queue, no longer retried;
* a block is shown to the user as usual.

An operator's decision made meanwhile always stands (only pending rows are retried).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import translation
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.screening.models import Review, ScreeningResult

log = logging.getLogger(__name__)

# Rows handed to one sweep; the rest wait for the next.
SWEEP_BATCH = 200


def _screening_pause_reasons() -> set[str]:
    """The status reasons the send path gives a campaign it paused for a screening hold,
    in the active and in the default language (the worker that paused it may differ)."""
    from django.conf import settings

    from mailsoftly.screening.services.screen import HOLD_MESSAGE, RISK_HOLD_MESSAGE

    reasons = {_(HOLD_MESSAGE), _(RISK_HOLD_MESSAGE)}
    with translation.override(settings.LANGUAGE_CODE):
        reasons |= {_(HOLD_MESSAGE), _(RISK_HOLD_MESSAGE)}
    return reasons


def screening_retry_due(*, now=None) -> list[tuple[int, int]]:
    """Claim the due retries of every region: ``[(workspace_id, result_id), …]``.

    Each claimed row's ``retry_at`` moves a lease ahead, so the next sweep does not hand it
    out again while its task waits in the queue; a lost task is simply tried after that.
    """
    from django.conf import settings

    from mailsoftly.core.regions import REGION_DATABASES

    now = now or clock.now()
    lease = now + timedelta(seconds=float(getattr(settings, "SCREENING_RETRY_LEASE", 300)))
    claimed: list[tuple[int, int]] = []
    for region in REGION_DATABASES:
        rows = ScreeningResult.objects.dangerously_all_workspaces(region)
        due = list(
            rows.filter(review=Review.PENDING, retry_at__lte=now)
            .order_by("retry_at", "id")
            .values_list("workspace_id", "id", "retry_at")[:SWEEP_BATCH]
        )
        for workspace_id, result_id, retry_at in due:
            # Claimed only if nobody moved it meanwhile (another beat, a request).
            if rows.filter(pk=result_id, retry_at=retry_at).update(retry_at=lease):
                claimed.append((workspace_id, result_id))
    return claimed


def screening_retry(*, workspace, result_id: int) -> ScreeningResult | None:
    """Screen one held result again; release its campaign when the verdict is now clean.

    Harmless to run twice or late: a row no longer pending, or no longer held because a
    check could not run, is left alone.
    """
    from mailsoftly.screening.services.screen import _transient

    rows = ScreeningResult.objects.for_workspace(workspace)
    result = rows.filter(pk=result_id).first()
    if result is None or not _transient(result):
        if result is not None and result.retry_at is not None:
            rows.filter(pk=result.pk).update(retry_at=None)
        return result
    if result.campaign_id:
        return _retry_campaign(workspace, rows, result)
    return _retry_stored(workspace, rows, result)


def _retry_campaign(workspace, rows, result: ScreeningResult) -> ScreeningResult:
    from mailsoftly.campaigns.models import Campaign
    from mailsoftly.screening.services.screen import screening_gate

    campaign = Campaign.objects.for_workspace(workspace).filter(pk=result.campaign_id).first()
    if campaign is None:  # trashed or gone: nothing waits for this verdict any more
        rows.filter(pk=result.pk).update(retry_at=None)
        return result
    # The same gate the send path asks: it screens the campaign's current content (this
    # row again while the content is unchanged) and applies the account's risk level.
    gate = screening_gate(workspace=workspace, campaign_id=campaign.pk)
    if gate.result_id != result.pk:
        # The campaign was edited since: its new content has its own row and verdict.
        rows.filter(pk=result.pk, review=Review.PENDING).update(retry_at=None)
    result.refresh_from_db()
    if gate.allowed:
        _release(workspace, campaign)
    else:
        log.info(
            "screening: campaign %s still %s after retry %s",
            campaign.pk,
            gate.decision,
            result.retry_count,
        )
    return result


def _release(workspace, campaign) -> None:
    """Resume a campaign that screening paused, as an operator's approval does."""
    from mailsoftly.campaigns.models import CampaignStatus
    from mailsoftly.screening.services.review import release_campaign

    # A campaign a person paused, or that paused for a reason of its own, stays paused.
    if campaign.status != CampaignStatus.PAUSED:
        return
    if campaign.status_reason not in _screening_pause_reasons():
        return
    release_campaign(workspace, campaign.pk)
    log.info("screening: campaign %s released after a clean retry", campaign.pk)


def _retry_stored(workspace, rows, result: ScreeningResult) -> ScreeningResult:
    """A test send or other content without a campaign: screen what was stored."""
    from mailsoftly.screening.content import Content
    from mailsoftly.screening.services.screen import (
        _rescreen,
        blocked_domain_list,
        verified_domain_list,
    )

    content = Content(
        subject=result.subject,
        from_address=result.from_address,
        verified_domains=tuple(verified_domain_list(workspace=workspace)),
        html=result.html,
        text=result.text,
        blocklist=tuple(blocked_domain_list()),
        campaign=True,
    )
    return _rescreen(rows, result, content, None)
