"""Region migration task. It needs both regions' databases, so it runs on the plain queue."""

from __future__ import annotations

from celery import shared_task

from mailsoftly.residency import services


@shared_task(name="residency.region_move_run", acks_late=True)
def region_move_run_task(move_id: int) -> str:
    """Run or resume a region move; running it twice is harmless (the row is the checkpoint)."""
    return services.region_move_run(move_id=move_id).state
