"""Reads about region moves."""

from __future__ import annotations

from django.db import connections
from django.utils.translation import gettext as _

from mailsoftly.core.regions import DIRECTORY_DATABASE
from mailsoftly.residency.models import ACTIVE_STATES, RegionMove


def region_move_active(*, workspace_id: int) -> RegionMove | None:
    return (
        RegionMove.objects.filter(workspace_id=workspace_id, state__in=ACTIVE_STATES)
        .order_by("-id")
        .first()
    )


def region_move_list(*, workspace) -> list[RegionMove]:
    return list(RegionMove.objects.filter(workspace=workspace)[:10])


_ACTIVE_SQL = (
    "SELECT source, target FROM residency_regionmove "
    "WHERE workspace_id = %s AND state IN (%s, %s, %s, %s, %s) LIMIT 1"
)
assert len(ACTIVE_STATES) == 5  # one placeholder per active state above


def workspace_move_message(workspace_id: int) -> str | None:
    """The read-only message while ``workspace_id`` moves region, else None.

    Runs before every regional save, so it is one plain indexed query (a third of the ORM
    query's cost; see docs/performance.md, Residency). The table name is fixed and the
    values are parameters.
    """
    with connections[DIRECTORY_DATABASE].cursor() as cursor:
        cursor.execute(_ACTIVE_SQL, [workspace_id, *ACTIVE_STATES])
        row = cursor.fetchone()
    if row is None:
        return None
    return _(
        "This workspace is moving from region %(source)s to %(target)s and is read-only "
        "until the move finishes."
    ) % {"source": row[0].upper(), "target": row[1].upper()}
