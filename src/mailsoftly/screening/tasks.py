"""Screening tasks: take ids, load, call a service; running twice is harmless (cached)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="screening.campaign_screen")
def campaign_screen_task(*, workspace_id: int, campaign_id: int, kind: str = "campaign") -> dict:
    from mailsoftly.screening.services import campaign_screen
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return {"decision": None}
    result = campaign_screen(workspace=workspace, campaign_id=campaign_id, kind=kind)
    return {"result_id": result.pk, "decision": result.effective_decision, "score": result.score}


@shared_task(name="screening.retry")
def screening_retry_task(*, workspace_id: int, result_id: int) -> dict:
    """Screen again one hold a check could not finish; release its campaign if now clean."""
    from mailsoftly.screening.services import screening_retry
    from mailsoftly.teams.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return {"decision": None}
    result = screening_retry(workspace=workspace, result_id=result_id)
    if result is None:
        return {"decision": None}
    return {"result_id": result.pk, "decision": result.effective_decision}


@shared_task(name="screening.retry_due")
def screening_retry_due_task() -> int:
    """Beat: hand each due "could not check" hold to :func:`screening_retry_task`."""
    from mailsoftly.screening.services import screening_retry_due

    claimed = screening_retry_due()
    for workspace_id, result_id in claimed:
        screening_retry_task.delay(workspace_id=workspace_id, result_id=result_id)
    return len(claimed)
