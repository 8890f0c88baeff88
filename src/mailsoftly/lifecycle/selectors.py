"""Reads for the lifecycle app: the trash page, legal holds, account deletions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet

from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id
from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.core.trash import RETENTION
from mailsoftly.lifecycle import registry
from mailsoftly.lifecycle.models import AccountDeletion, HoldScope, LegalHold

TRASH_PAGE_LIMIT = 200  # per model; the page says when there are more


def held_ids() -> tuple[set[int], dict[str, set[str]]]:
    """Active holds as (held workspace ids, {model label: held object ids}).

    An account hold covers every workspace the account is the only member of, because
    that is what an account deletion would purge.
    """
    workspaces: set[int] = set()
    objects: dict[str, set[str]] = {}
    for hold in LegalHold.objects.active():
        if hold.scope == HoldScope.WORKSPACE and hold.workspace_id:
            workspaces.add(hold.workspace_id)
        elif hold.scope == HoldScope.OBJECT and hold.object_type:
            objects.setdefault(hold.object_type, set()).add(str(hold.object_id))
        elif hold.scope == HoldScope.ACCOUNT and hold.user_id:
            workspaces.update(sole_workspace_ids(user_id=hold.user_id))
    return workspaces, objects


def sole_workspace_ids(*, user_id: int) -> list[int]:
    """Workspaces in which ``user_id`` is the only member (disabled members count too)."""
    from django.db.models import Count

    from mailsoftly.teams.models import Membership

    mine = Membership.objects.filter(user_id=user_id).values("workspace_id")
    return list(
        Membership.objects.filter(workspace_id__in=mine)
        .values("workspace_id")
        .annotate(members=Count("id"))
        .filter(members=1)
        .values_list("workspace_id", flat=True)
    )


def user_is_held(*, user_id: int) -> bool:
    return LegalHold.objects.active().filter(scope=HoldScope.ACCOUNT, user_id=user_id).exists()


@dataclass(frozen=True)
class TrashEntry:
    key: str
    pk: object
    kind: str
    label: str
    trashed_at: datetime
    purge_after: datetime

    @property
    def days_left(self) -> int:
        return max(0, (self.purge_after - clock.now()).days)


def _visible_trash(model: type[WorkspaceOwned], workspace, held) -> QuerySet:
    held_workspaces, held_objects = held
    rows = model.trashed.for_workspace(workspace)
    if workspace.pk in held_workspaces:
        return rows.none()
    own = held_objects.get(registry.model_key(model))
    if own:
        rows = rows.exclude(pk__in=list(own))
    # Children trashed together with their parent are restored with it; list the parent only.
    for relation in registry.parents_of(model):
        rows = rows.exclude(**{f"{relation.field}__trashed_at": F("trashed_at")})
    return rows.filter(trashed_at__gt=clock.now() - RETENTION)


def trash_list(*, workspace) -> tuple[list[TrashEntry], bool]:
    """What the workspace can still restore, newest first; and whether the list was cut."""
    held = held_ids()
    entries: list[TrashEntry] = []
    truncated = False
    for model in registry.trashable_models():
        rows = list(
            _visible_trash(model, workspace, held).order_by("-trashed_at", "-pk")[
                : TRASH_PAGE_LIMIT + 1
            ]
        )
        if len(rows) > TRASH_PAGE_LIMIT:
            truncated, rows = True, rows[:TRASH_PAGE_LIMIT]
        entries.extend(
            TrashEntry(
                key=registry.model_key(model),
                pk=row.pk,
                kind=str(model._meta.verbose_name),
                label=str(row),
                trashed_at=row.trashed_at,
                purge_after=row.purge_after,
            )
            for row in rows
        )
    entries.sort(key=lambda entry: entry.trashed_at, reverse=True)
    return entries, truncated


def access_trashed(*, workspace, key: str, id: object) -> WorkspaceOwned | None:
    """A trashed row of ``workspace`` the user may restore, or None (missing, not yours,
    held and malformed all alike)."""
    model = registry.model_for_key(key)
    if model is None:
        return None
    pk_field = model._meta.pk
    try:
        pk = pk_field.to_python(id)
    except (ValidationError, ValueError, TypeError):
        return None  # a malformed id reads as "not found", never a 500
    if pk is None or (pk_field.get_internal_type().endswith("AutoField") and not parse_id(pk)):
        return None
    return _visible_trash(model, workspace, held_ids()).filter(pk=pk).first()


def account_deletion_pending(*, user) -> AccountDeletion | None:
    return AccountDeletion.objects.filter(
        user=user, restored_at__isnull=True, purged_at__isnull=True
    ).first()


def export_list(*, workspace, limit: int = 50) -> list:
    from mailsoftly.lifecycle.models import ExportJob

    return list(ExportJob.objects.for_workspace(workspace).order_by("-created_at", "-pk")[:limit])
