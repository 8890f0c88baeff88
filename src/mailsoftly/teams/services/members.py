"""Roles, Primary Admin transfer, and removing and restoring members (policy P30).

Removal uses the project's one trash mechanism (:mod:`mailsoftly.core.trash`): the
membership is disabled and trashed in one write, so the member loses access at once
(the workspace middleware and API keys only honour active memberships). The Primary
Admin may restore it within ``RETENTION``; afterwards :func:`member_purge_expired`, run
daily by Celery beat, deletes it for good. What the member made stays in the workspace.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.core import clock
from mailsoftly.core.trash import RETENTION
from mailsoftly.teams.errors import TeamError
from mailsoftly.teams.models import Membership, Role, Workspace
from mailsoftly.teams.permissions import Perm
from mailsoftly.teams.services._guard import actor_membership, refuse, require

PURGE_BATCH = 500


def _lock(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().get(pk=membership.pk)


def member_role_change(
    *, workspace: Workspace, actor, membership: Membership, role: str, request=None
) -> Membership:
    """Make a member an Admin or an Admin a Member. The Primary Admin role moves only by
    :func:`primary_admin_transfer`."""
    if role not in Role.values:  # junk is no permission question (and NUL breaks the audit)
        raise TeamError(_("Choose Admin or Member."))
    target = ("teams.membership", membership.pk, str(membership.user))
    details = {"role": role}
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_MEMBERS,
        attempted="member.role_change",
        target=target,
        details=details,
    )
    if role not in (Role.ADMIN, Role.MEMBER):
        raise refuse(
            request=request,
            actor=actor,
            workspace=workspace,
            attempted="member.role_change",
            target=target,
            details=details,
            message=_("The Primary Admin role can only be handed over by the Primary Admin."),
        )
    if membership.workspace_id != workspace.pk or membership.disabled_at is not None:
        raise TeamError(_("That person is not an active member of this workspace."))
    if membership.role == Role.PRIMARY_ADMIN:
        raise refuse(
            request=request,
            actor=actor,
            workspace=workspace,
            attempted="member.role_change",
            target=target,
            details=details,
            message=_("The Primary Admin's role cannot be changed; they can hand it over."),
        )
    with transaction.atomic():
        locked = _lock(membership)
        before = locked.role
        if before == role:
            return locked
        locked.role = role
        locked.save(update_fields=["role"])
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="member.role_changed",
            target=locked,
            before={"role": before},
            after={"role": role},
        )
    return locked


def primary_admin_transfer(
    *, workspace: Workspace, actor, membership: Membership, request=None
) -> Membership:
    """Hand the Primary Admin role to another active member; the giver becomes an Admin."""
    target = ("teams.membership", membership.pk, str(membership.user))
    giver = require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.TRANSFER_PRIMARY,
        attempted="primary_admin.transfer",
        target=target,
    )
    if membership.workspace_id != workspace.pk or membership.disabled_at is not None:
        raise TeamError(_("That person is not an active member of this workspace."))
    if membership.pk == giver.pk:
        raise TeamError(_("You are already the Primary Admin."))
    with transaction.atomic():
        giver = _lock(giver)
        receiver = _lock(membership)
        previous_role = receiver.role
        # Demote first: the database allows one active Primary Admin per workspace.
        giver.role = Role.ADMIN
        giver.save(update_fields=["role"])
        receiver.role = Role.PRIMARY_ADMIN
        receiver.save(update_fields=["role"])
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="primary_admin.transferred",
            target=receiver,
            before={"primary_admin": giver.user_id, "role": previous_role},
            after={"primary_admin": receiver.user_id, "role": Role.PRIMARY_ADMIN},
        )
    return receiver


def member_remove(
    *, workspace: Workspace, actor, membership: Membership, request=None
) -> Membership:
    """Remove a member: access ends at once; restorable by the Primary Admin for 30 days."""
    target = ("teams.membership", membership.pk, str(membership.user))
    if membership.role == Role.PRIMARY_ADMIN:
        # Whoever asks: a workspace never loses its one Primary Admin.
        raise refuse(
            request=request,
            actor=actor,
            workspace=workspace,
            attempted="member.remove",
            target=target,
            details={"role": membership.role},
            message=_("The Primary Admin cannot be removed. Hand the role to someone else first."),
        )
    own = actor_membership(workspace=workspace, actor=actor)
    leaving = own is not None and own.pk == membership.pk
    if not leaving:
        require(
            request=request,
            actor=actor,
            workspace=workspace,
            perm=Perm.MANAGE_MEMBERS,
            attempted="member.remove",
            target=target,
            details={"role": membership.role},
        )
    if membership.workspace_id != workspace.pk or membership.disabled_at is not None:
        raise TeamError(_("That person is not an active member of this workspace."))
    now = clock.now()
    with transaction.atomic():
        locked = _lock(membership)
        Membership.objects.filter(pk=locked.pk).move_to_trash(by_user_id=actor.pk)
        Membership.objects.filter(pk=locked.pk).update(disabled_at=F("trashed_at"))
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="member.left" if leaving else "member.removed",
            target=locked,
            before={"role": locked.role, "active": True},
            after={"active": False, "purge_after": (now + RETENTION).isoformat()},
        )
    locked.refresh_from_db()
    return locked


def member_restore(
    *, workspace: Workspace, actor, membership: Membership, request=None
) -> Membership:
    """Give a removed member their access back (Primary Admin, within the 30-day hold)."""
    target = ("teams.membership", membership.pk, str(membership.user))
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.RESTORE_MEMBERS,
        attempted="member.restore",
        target=target,
    )
    if membership.workspace_id != workspace.pk or membership.trashed_at is None:
        raise TeamError(_("That membership has not been removed."))
    if membership.trashed_at <= clock.now() - RETENTION:
        raise TeamError(_("The 30 days to restore this member have passed."))
    with transaction.atomic():
        locked = _lock(membership)
        Membership.objects.filter(pk=locked.pk).restore_from_trash()
        Membership.objects.filter(pk=locked.pk).update(disabled_at=None)
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="member.restored",
            target=locked,
            before={"active": False},
            after={"active": True, "role": locked.role},
        )
    locked.refresh_from_db()
    return locked


def member_purge_expired(*, now: datetime | None = None) -> int:
    """Delete memberships removed more than 30 days ago, in batches. Idempotent."""
    purged = 0
    while True:
        batch = list(
            Membership.objects.due_for_purge(now=now)
            .select_related("user", "workspace")
            .order_by("id")[:PURGE_BATCH]
        )
        if not batch:
            return purged
        with transaction.atomic():
            for membership in batch:
                audit_record(
                    workspace=membership.workspace,
                    action="member.purged",
                    target=("teams.membership", membership.pk, str(membership.user)),
                    before={"user": membership.user_id, "role": membership.role},
                )
            Membership.objects.filter(pk__in=[m.pk for m in batch]).delete()
        purged += len(batch)
