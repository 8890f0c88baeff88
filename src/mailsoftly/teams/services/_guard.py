"""The permission check every team service starts with."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.teams.errors import PermissionRefused
from mailsoftly.teams.models import Membership, Workspace
from mailsoftly.teams.permissions import Perm, membership_can


def actor_membership(*, workspace: Workspace, actor) -> Membership | None:
    """The actor's active membership, read fresh (a role may have changed since the request)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return Membership.objects.active().filter(workspace_id=workspace.pk, user_id=actor.pk).first()


def refuse(
    *,
    request,
    actor,
    workspace: Workspace,
    attempted: str,
    target: Any = None,
    details: dict | None = None,
    message: str | None = None,
) -> PermissionRefused:
    """Audit-log a refused attempt and return the error to raise.

    Called outside any transaction, so the record survives the refusal.
    """
    audit_record(
        request=request,
        actor=actor,
        workspace=workspace,
        action="permission.refused",
        target=target,
        after={"attempted": attempted, **(details or {})},
    )
    return PermissionRefused(message or _("Your role in this workspace does not allow that."))


def require(
    *,
    request,
    actor,
    workspace: Workspace,
    perm: Perm,
    attempted: str,
    target: Any = None,
    details: dict | None = None,
) -> Membership:
    """The actor's membership if it grants ``perm``; otherwise log the attempt and refuse."""
    membership = actor_membership(workspace=workspace, actor=actor)
    if not membership_can(membership, perm):
        raise refuse(
            request=request,
            actor=actor,
            workspace=workspace,
            attempted=attempted,
            target=target,
            details=details,
        )
    return membership
