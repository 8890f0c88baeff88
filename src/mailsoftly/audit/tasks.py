"""Scheduled jobs of the audit log."""

from celery import shared_task

from mailsoftly.audit import services
from mailsoftly.core.regions import Region


@shared_task(name="audit.purge_expired")
def audit_purge_expired_task(region: str | None = None) -> int:
    """Daily: forget IP addresses past their retention (90 days by default), then drop rows
    past theirs. Idempotent: a second run finds nothing to do.

    Without ``region`` it does the directory's log and queues one run per region for the
    content entries kept there (each on its region's queue, run by a worker of that region).
    """
    if region is None:
        for each in Region:
            audit_purge_expired_task.delay(region=each.value)
    return services.audit_anonymise_expired(region=region) + services.audit_purge_expired(
        region=region
    )
