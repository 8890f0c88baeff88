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
