"""Reads about workspaces and memberships."""

from __future__ import annotations

from django.db.models import Case, QuerySet, Value, When

from mailsoftly.core.ids import parse_id
from mailsoftly.teams.models import Membership, Role, Workspace


def membership_list(*, user) -> QuerySet[Membership]:
    """The user's active memberships in live workspaces."""
    return (
        Membership.objects.filter(
            user=user, disabled_at__isnull=True, workspace__trashed_at__isnull=True
        )
        .select_related("workspace")
        .order_by("workspace__name", "workspace_id")
    )


def membership_get(*, user, workspace_id: int | str | None) -> Membership | None:
    """The user's active membership in that workspace, or None (missing and not yours alike)."""
    parsed = parse_id(workspace_id)
    if parsed is None:
        return None
    return membership_list(user=user).filter(workspace_id=parsed).first()


def workspace_default_for(*, user) -> Workspace | None:
    membership = membership_list(user=user).first()
    return membership.workspace if membership else None


def member_list(*, workspace: Workspace, include_disabled: bool = False) -> QuerySet[Membership]:
    """A workspace's memberships with their users, Primary Admin first."""
    members = Membership.objects.filter(workspace_id=workspace.pk).select_related("user")
    if not include_disabled:
        members = members.filter(disabled_at__isnull=True)
    rank = Case(
        When(role=Role.PRIMARY_ADMIN, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
    )
    return members.order_by(rank, "user__username", "id")
