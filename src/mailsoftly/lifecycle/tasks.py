"""Scheduled lifecycle jobs. Each takes plain values, is idempotent and resumes safely."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from mailsoftly.core.regions import REGION_DATABASES, Region
from mailsoftly.lifecycle import services


class RegionUnavailable(RuntimeError):
    """This worker was not given the database of the region it was asked to work on."""


@shared_task(name="lifecycle.purge_trash")
def purge_trash_task(region: str | None = None, batch_size: int = services.PURGE_BATCH) -> dict:
    """Purge trash older than 30 days. Without ``region``, fans out one task per region.

    Each run deletes one batch per model and re-enqueues itself while more is due, so a
    large backlog never holds one long transaction and a killed run just resumes.
    """
    if region is None:
        for each in Region:
            purge_trash_task.delay(region=each.value, batch_size=batch_size)
        return {}
    database = REGION_DATABASES[Region(region)]
    if database not in settings.DATABASES:
        raise RegionUnavailable(f"this worker has no database for region {region!r}")
    result = services.trash_purge_due(region=region, batch_size=batch_size)
    if result.more:
        purge_trash_task.delay(region=region, batch_size=batch_size)
    return result.deleted


@shared_task(name="lifecycle.purge_accounts")
def purge_accounts_task(limit: int = 50) -> int:
    """Purge accounts whose 30-day grace period is over; re-enqueues while more are due."""
    purged = services.account_deletion_purge_due(limit=limit)
    if purged >= limit:
        purge_accounts_task.delay(limit=limit)
    return purged


@shared_task(name="lifecycle.purge_workspaces")
def purge_workspaces_task(limit: int = 20) -> int:
    """Purge workspaces trashed more than 30 days ago; re-enqueues while more are due."""
    purged = services.workspace_purge_due(limit=limit)
    if purged >= limit:
        purge_workspaces_task.delay(limit=limit)
    return purged


@shared_task(name="lifecycle.export_run")
def export_run_task(export_id: int, region: str) -> str | None:
    """Build one export file; a second run of a finished export does nothing."""
    job = services.export_run(export_id=export_id, region=region)
    return job.status if job is not None else None


@shared_task(name="lifecycle.data_requests_remind")
def data_requests_remind_task() -> int:
    """Mail staff about privacy requests due within 5 days (once per request)."""
    return services.data_request_remind_due()
