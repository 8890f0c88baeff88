"""Scheduled jobs of the audit log."""

from celery import shared_task

from mailsoftly.audit import services


@shared_task(name="audit.purge_expired")
def audit_purge_expired_task() -> int:
    """Drop audit rows past retention. Idempotent: a second run finds nothing to delete."""
    return services.audit_purge_expired()
