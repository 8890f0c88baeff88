"""A whole workspace in the trash: hidden at once, restorable 30 days, then purged with
all of its regional content and files (policy P26).

The teams app owns the page where a Primary Admin deletes a workspace; it calls
:func:`workspace_trash`. Memberships of a trashed workspace stop granting access at
once (``membership_list`` skips trashed workspaces).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.trash import RETENTION
from mailsoftly.lifecycle import audit, selectors
from mailsoftly.lifecycle.services.accounts import workspace_content_purge
from mailsoftly.lifecycle.services.trash import TrashError


def workspace_trash(*, workspace, actor, request=None) -> bool:
    """Move a workspace to the trash. Returns False if it already was there."""
    from mailsoftly.teams.models import Workspace

    with transaction.atomic():
        moved = Workspace.objects.filter(pk=workspace.pk, trashed_at__isnull=True).update(
            trashed_at=clock.now()
        )
        if moved:
            audit.record(
                action="workspace.trashed",
                actor=actor,
                request=request,
                workspace=workspace,
                target=("teams.workspace", workspace.pk),
            )
    workspace.refresh_from_db(fields=["trashed_at"])
    return bool(moved)


def workspace_restore(*, workspace, actor, request=None) -> None:
    """Bring a trashed workspace back within 30 days, or say clearly why not."""
    from mailsoftly.teams.models import Workspace

    with transaction.atomic():
        locked = Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        if locked is None or locked.trashed_at is None:
            raise TrashError(_("This workspace is not in the trash."))
        if locked.trashed_at + RETENTION <= clock.now():
            raise TrashError(
                _("This workspace was deleted more than 30 days ago and can no longer be restored.")
            )
        Workspace.objects.filter(pk=locked.pk).update(trashed_at=None)
        audit.record(
            action="workspace.restored",
            actor=actor,
            request=request,
            workspace=locked,
            target=("teams.workspace", locked.pk),
        )
    workspace.refresh_from_db(fields=["trashed_at"])


def workspace_purge_due(*, limit: int = 20) -> int:
    """Delete workspaces trashed more than 30 days ago (content first, then the row),
    skipping held ones. Safe to run again after a crash: the row goes last."""
    from mailsoftly.teams.models import Workspace

    held_workspaces, _objects = selectors.held_ids()
    due = (
        Workspace.objects.filter(trashed_at__lte=clock.now() - RETENTION)
        .exclude(pk__in=held_workspaces)
        .order_by("trashed_at")[:limit]
    )
    purged = 0
    for workspace in list(due):
        workspace_content_purge(workspace=workspace)
        with transaction.atomic():
            Workspace.objects.filter(pk=workspace.pk).delete()
            audit.record(
                action="workspace.purged",
                target=("teams.workspace", workspace.pk),
                after={"region": workspace.region},
            )
        purged += 1
    return purged
