"""Reads of the audit log."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from mailsoftly.audit.models import AuditEvent


def audit_event_list(
    *,
    workspace,
    action: str = "",
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """One workspace's audit rows, newest first, optionally filtered."""
    events = AuditEvent.objects.filter(workspace_id=workspace.pk)
    if action:
        events = events.filter(action=action)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events.order_by("-created_at", "-id")


def audit_action_list(*, workspace) -> list[str]:
    """The distinct actions recorded in a workspace, for the filter menu."""
    return list(
        AuditEvent.objects.filter(workspace_id=workspace.pk)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
