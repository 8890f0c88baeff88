"""Reading the audit log from tests: the directory's table and every region's."""

from __future__ import annotations

from mailsoftly.audit.models import AuditEntry, AuditEvent, RegionalAuditEvent
from mailsoftly.core.regions import Region


def audit_rows(**filters) -> list[AuditEntry]:
    """Audit rows of the directory and of every region matching ``filters``, newest first."""
    found: list[AuditEntry] = list(AuditEvent.objects.filter(**filters))
    for region in Region:
        found += RegionalAuditEvent.objects.dangerously_all_workspaces(region).filter(**filters)
    return sorted(found, key=lambda e: (e.created_at, e.pk), reverse=True)


def audit_row(**filters) -> AuditEntry:
    """The one audit row matching ``filters``, wherever it is kept."""
    rows = audit_rows(**filters)
    assert len(rows) == 1, f"expected one audit row for {filters}, found {len(rows)}"
    return rows[0]
