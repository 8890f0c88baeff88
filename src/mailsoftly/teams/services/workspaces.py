"""Creating and renaming workspaces."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.billing.services import limit_check
from mailsoftly.core.regions import Region
from mailsoftly.teams.errors import TeamError
from mailsoftly.teams.models import Membership, Role, Workspace
from mailsoftly.teams.permissions import Perm
from mailsoftly.teams.services._guard import require

NAME_MAX = 120


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise TeamError(_("Give the workspace a name."), field="name")
    if len(cleaned) > NAME_MAX:
        raise TeamError(
            _("Keep the name to %(max)d characters or fewer.") % {"max": NAME_MAX}, field="name"
        )
    return cleaned


def _eu_residency_check(*, owner, region: str) -> None:
    """Plan gate for keeping a new workspace's data in the EU (billing resource eu_residency).

    A brand-new workspace has no subscription, so it starts on the free plan: that plan
    decides. Where it does not include EU residency, the owner may still create an EU
    workspace while they administer a workspace whose plan does (a paying customer adding
    a workspace); otherwise :class:`~mailsoftly.billing.errors.LimitExceeded`, nothing written.
    """
    if region != Region.EU:
        return
    from mailsoftly.billing.selectors import plan_for_workspace

    try:
        limit_check(workspace=Workspace(region=region), resource="eu_residency")
    except LimitExceeded:
        administered = Workspace.objects.filter(
            memberships__user=owner,
            memberships__disabled_at__isnull=True,
            memberships__role__in=[Role.PRIMARY_ADMIN, Role.ADMIN],
        ).distinct()
        if any(plan_for_workspace(workspace=w).eu_residency for w in administered):
            return
        raise


def workspace_create(
    *, owner, name: str, region: str = Region.US, is_personal: bool = False, request=None
) -> Workspace:
    """Create a workspace with ``owner`` as its Primary Admin.

    An EU workspace needs a plan with EU data residency (see :func:`_eu_residency_check`).
    """
    _eu_residency_check(owner=owner, region=Region(region))
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=_clean_name(name), region=Region(region), is_personal=is_personal
        )
        Membership.objects.create(user=owner, workspace=workspace, role=Role.PRIMARY_ADMIN)
        audit_record(
            request=request,
            actor=owner,
            workspace=workspace,
            action="workspace.created",
            target=workspace,
            after={"name": workspace.name, "region": workspace.region},
        )
    return workspace


def workspace_rename(*, workspace: Workspace, actor, name: str, request=None) -> Workspace:
    """Rename a workspace (Admins and the Primary Admin)."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_SETTINGS,
        attempted="workspace.rename",
        target=workspace,
    )
    new_name = _clean_name(name)
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = locked.name
        if before == new_name:
            return locked
        locked.name = new_name
        locked.save(update_fields=["name"])
        audit_record(
            request=request,
            actor=actor,
            workspace=locked,
            action="workspace.renamed",
            target=locked,
            before={"name": before},
            after={"name": new_name},
        )
    workspace.name = new_name
    return locked
