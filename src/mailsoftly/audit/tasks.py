"""Scheduled jobs of the audit log."""

from celery import shared_task

from mailsoftly.audit import services


@shared_task(name="audit.purge_expired")
def audit_purge_expired_task() -> int:
    """Daily: forget IP addresses past their retention (90 days by default), then drop rows
    past theirs. Idempotent: a second run finds nothing to do."""
    return services.audit_anonymise_expired() + services.audit_purge_expired()
