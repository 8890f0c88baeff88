"""Reads about region moves."""

from __future__ import annotations

from django.utils.translation import gettext as _

from mailsoftly.residency.models import ACTIVE_STATES, RegionMove


def region_move_active(*, workspace_id: int) -> RegionMove | None:
    return (
        RegionMove.objects.filter(workspace_id=workspace_id, state__in=ACTIVE_STATES)
        .order_by("-id")
        .first()
    )


def region_move_list(*, workspace) -> list[RegionMove]:
    return list(RegionMove.objects.filter(workspace=workspace)[:10])


def workspace_move_message(workspace_id: int) -> str | None:
    """The read-only message while ``workspace_id`` moves region, else None."""
    move = region_move_active(workspace_id=workspace_id)
    if move is None:
        return None
    return _(
        "This workspace is moving from region %(source)s to %(target)s and is read-only "
        "until the move finishes."
    ) % {"source": move.source.upper(), "target": move.target.upper()}
