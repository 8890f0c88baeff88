"""Reads of the audit log.

A workspace's log is in two tables: the directory's (administration) and its region's
(content). :func:`audit_event_list` reads both and merges them newest first, so the page,
its filters and its pagination see one log.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime

from django.db.models import QuerySet

from mailsoftly.audit.models import AuditEvent, RegionalAuditEvent


class AuditTrail(Sequence):
    """Several audit querysets, each ordered newest first, read as one sorted sequence.

    Enough of a list for :class:`~django.core.paginator.Paginator`: ``count()`` adds the
    tables' counts, and a slice reads at most ``stop`` rows of each table and merges them.
    """

    def __init__(self, *querysets: QuerySet) -> None:
        self.querysets = querysets

    def count(self) -> int:
        return sum(queryset.count() for queryset in self.querysets)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or index.stop is None:
                raise ValueError("only forward slices with an end are supported")
            start, stop = index.start or 0, index.stop
            merged = heapq.merge(
                *(list(queryset[:stop]) for queryset in self.querysets),
                key=lambda event: (event.created_at, event.pk),
                reverse=True,
            )
            return list(merged)[start:stop]
        found = self[index : index + 1]
        if not found:
            raise IndexError(index)
        return found[0]


def _filtered(
    events: QuerySet,
    *,
    action: str,
    actor_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> QuerySet:
    if action:
        events = events.filter(action=action)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events.order_by("-created_at", "-id")


def audit_event_list(
    *,
    workspace,
    action: str = "",
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditTrail:
    """One workspace's audit rows (directory and region), newest first, optionally filtered."""
    filters = {"action": action, "actor_id": actor_id, "since": since, "until": until}
    return AuditTrail(
        _filtered(AuditEvent.objects.filter(workspace_id=workspace.pk), **filters),
        _filtered(RegionalAuditEvent.objects.for_workspace(workspace), **filters),
    )


def audit_action_list(*, workspace) -> list[str]:
    """The distinct actions recorded in a workspace, for the filter menu."""
    actions: set[str] = set()
    for events in (
        AuditEvent.objects.filter(workspace_id=workspace.pk),
        RegionalAuditEvent.objects.for_workspace(workspace),
    ):
        actions.update(events.order_by().values_list("action", flat=True).distinct())
    return sorted(actions)
