"""The trash: move, restore and purge, for every trashable model (policy P26, P27).

* :func:`trash_move` hides rows at once, with their children, all stamped with one
  instant so that :func:`trash_restore` knows what went together.
* :func:`trash_restore` brings a row and the children trashed with it back, within 30
  days, or says clearly why not (already restored, purged, expired, name now taken,
  parent still in the trash).
* :func:`trash_purge_due` deletes, in one region and one batch per model, rows trashed
  more than 30 days ago that no legal hold protects, with their children and files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.regions import RegionMismatch, database_for
from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.core.trash import RETENTION
from mailsoftly.lifecycle import audit, registry

logger = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) clause: well under SQLite's and PostgreSQL's limits
PURGE_BATCH = 500


class TrashError(Exception):
    """A trash operation that cannot be done; the message is for the user."""


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _target(obj_or_queryset) -> tuple[type[WorkspaceOwned], QuerySet, str]:
    """The model, a queryset over *all* rows (live and trashed) and the database."""
    if isinstance(obj_or_queryset, models.Model):
        model = type(obj_or_queryset)
        database = obj_or_queryset._state.db or database_for(
            audit.workspace_by_id(obj_or_queryset.workspace_id).region
        )
        rows = model.all_rows.using(database).filter(pk=obj_or_queryset.pk)
    elif isinstance(obj_or_queryset, QuerySet):
        model = obj_or_queryset.model
        database = obj_or_queryset.db  # raises RegionNotSet when no region was chosen
        rows = model.all_rows.using(database).filter(pk__in=obj_or_queryset.values("pk"))
    else:
        raise TypeError("obj_or_queryset must be a model instance or a queryset")
    if model not in registry.trashable_models():
        raise TypeError(f"{model.__name__} is not trashable (not a WorkspaceOwned model)")
    _check_region(rows, database)
    return model, rows, database


def _check_region(rows: QuerySet, database: str) -> None:
    """Every row's workspace must live in ``database``'s region (policy P40): a queryset
    pointed at the wrong database by hand is refused rather than half-applied."""
    workspace_ids = set(rows.values_list("workspace_id", flat=True).distinct())
    for workspace_id in workspace_ids:
        workspace = audit.workspace_by_id(workspace_id)
        if workspace is not None and database_for(workspace.region) != database:
            raise RegionMismatch(
                f"rows of a {workspace.region.upper()} workspace cannot be trashed or "
                f"restored through the {database!r} database"
            )


def _trash_children(
    model: type[WorkspaceOwned], ids: list, database: str, at: datetime, by_user_id
) -> None:
    for relation in registry.children_of(model):
        for chunk in _chunks(ids):
            live = relation.model.all_rows.using(database).filter(
                **{f"{relation.field}__in": chunk}, trashed_at__isnull=True
            )
            child_ids = list(live.values_list("pk", flat=True))
            if not child_ids:
                continue
            relation.model.all_rows.using(database).filter(pk__in=child_ids)._mark_trashed(
                by_user_id=by_user_id, at=at
            )
            _trash_children(relation.model, child_ids, database, at, by_user_id)


def trash_move(*, obj_or_queryset, actor, request=None, at: datetime | None = None) -> int:
    """Move rows (and their children) to the trash. Returns how many rows were trashed.

    Trashing something already in the trash is a no-op, not an error, so a double click
    or a retried request is harmless. ``Model.objects…move_to_trash()`` lands here too.
    """
    model, rows, database = _target(obj_or_queryset)
    at = at or clock.now()
    actor_id = getattr(actor, "pk", None)
    with transaction.atomic(using=database):
        live = list(rows.filter(trashed_at__isnull=True).values_list("pk", "workspace_id"))
        ids = [pk for pk, _ws in live]
        moved = 0
        for chunk in _chunks(ids):
            moved += (
                model.all_rows.using(database)
                .filter(pk__in=chunk)
                ._mark_trashed(by_user_id=actor_id, at=at)
            )
        _trash_children(model, ids, database, at, actor_id)
    _audit_rows("trash.move", model, live, actor=actor, request=request, obj=obj_or_queryset)
    return moved


def _restore_children(model: type[WorkspaceOwned], ids: list, database: str, at: datetime) -> None:
    for relation in registry.children_of(model):
        for chunk in _chunks(ids):
            together = relation.model.all_rows.using(database).filter(
                **{f"{relation.field}__in": chunk}, trashed_at=at
            )
            child_ids = list(together.values_list("pk", flat=True))
            if not child_ids:
                continue
            relation.model.all_rows.using(database).filter(pk__in=child_ids)._mark_restored()
            _restore_children(relation.model, child_ids, database, at)


def _check_parents_live(model: type[WorkspaceOwned], rows: QuerySet) -> None:
    for relation in registry.parents_of(model):
        if rows.filter(**{f"{relation.field}__trashed_at__isnull": False}).exists():
            raise TrashError(
                _("Restore the %(parent)s it belongs to first.")
                % {"parent": relation.model._meta.verbose_name}
            )


def trash_restore(*, obj_or_queryset, actor, request=None, now: datetime | None = None) -> int:
    """Bring trashed rows back, with the children trashed together with them.

    All or nothing: any problem raises :class:`TrashError` and nothing is restored.
    """
    from mailsoftly.lifecycle.selectors import held_ids

    model, rows, database = _target(obj_or_queryset)
    now = now or clock.now()
    with transaction.atomic(using=database):
        # Lock the rows so a purge running now either wins (rows gone) or waits.
        trashed = list(
            rows.select_for_update()
            .filter(trashed_at__isnull=False)
            .values_list("pk", "workspace_id", "trashed_at")
        )
        if not trashed:
            raise TrashError(
                _("This item is no longer in the trash: it was restored or permanently deleted.")
            )
        held_workspaces, held_objects = held_ids()
        for pk, workspace_id, _at in trashed:
            if workspace_id in held_workspaces or str(pk) in held_objects.get(
                registry.model_key(model), set()
            ):
                raise TrashError(_("This item is under a legal hold and cannot be restored."))
        if any(at + RETENTION <= now for _pk, _ws, at in trashed):
            raise TrashError(
                _("This item was in the trash for more than 30 days and can no longer be restored.")
            )
        _check_parents_live(
            model, model.all_rows.using(database).filter(pk__in=[t[0] for t in trashed])
        )
        try:
            with transaction.atomic(using=database):
                for pk, _ws, at in trashed:
                    model.all_rows.using(database).filter(pk=pk)._mark_restored()
                    _restore_children(model, [pk], database, at)
        except IntegrityError as exc:
            raise TrashError(
                _(
                    "Another %(kind)s now uses the same name. Rename or delete it, then restore "
                    "this one."
                )
                % {"kind": model._meta.verbose_name}
            ) from exc
    _audit_rows(
        "trash.restore",
        model,
        [(pk, ws) for pk, ws, _at in trashed],
        actor=actor,
        request=request,
        obj=obj_or_queryset,
    )
    return len(trashed)


def _audit_rows(action, model, rows: list, *, actor, request, obj) -> None:
    if not rows:
        return
    if isinstance(obj, models.Model):
        # Type and id only, never str(obj): the audit log lives in the directory database,
        # and an EU contact's address must not be copied there (policy P40).
        audit.record(
            action=action,
            actor=actor,
            request=request,
            workspace=audit.workspace_by_id(obj.workspace_id),
            target=(registry.model_key(model), obj.pk),
        )
        return
    by_workspace: dict[int, list] = {}
    for pk, workspace_id in rows:
        by_workspace.setdefault(workspace_id, []).append(pk)
    for workspace_id, ids in by_workspace.items():
        if len(ids) == 1:
            target, after = (registry.model_key(model), ids[0]), None
        else:
            target = (registry.model_key(model), f"{len(ids)} rows")
            after = {"ids": [str(pk) for pk in ids[:1000]]}
        audit.record(
            action=action,
            actor=actor,
            request=request,
            workspace=audit.workspace_by_id(workspace_id),
            target=target,
            after=after,
        )


class ModelTrashService:
    """The trash service as ``core.trash`` sees it: ``QuerySet.move_to_trash()`` and
    ``restore_from_trash()`` of every tenant model come here, so a caller that never heard
    of :func:`trash_move` still trashes children, checks the region and writes the audit."""

    def handles(self, model) -> bool:
        return issubclass(model, WorkspaceOwned) and not model._meta.proxy

    def move(self, *, queryset: QuerySet, by_user_id: int | None, at) -> int:
        return trash_move(obj_or_queryset=queryset, actor=_user(by_user_id), at=at)

    def restore(self, *, queryset: QuerySet, by_user_id: int | None) -> int:
        return trash_restore(obj_or_queryset=queryset, actor=_user(by_user_id))


def _user(user_id: int | None):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


# --- Purge ----------------------------------------------------------------------------


@dataclass
class PurgeResult:
    deleted: dict[str, int] = field(default_factory=dict)
    more: bool = False

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _file_names(model: type[models.Model], rows: QuerySet) -> list[tuple]:
    """(storage, name) of every file held by ``rows`` and, recursively, their children."""
    found: list[tuple] = []
    file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    for file_field in file_fields:
        for name in rows.exclude(**{file_field.name: ""}).values_list(file_field.name, flat=True):
            if name:
                found.append((file_field.storage, name))
    for relation in registry.children_of(model):
        children = relation.model.all_rows.using(rows.db).filter(
            **{f"{relation.field}__in": rows.values("pk")}
        )
        found.extend(_file_names(relation.model, children))
    return found


def _delete_files(files: Iterable[tuple]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone; a file we could not delete now is logged for the operator.
            logger.exception("purge could not delete file %s", name)


def _purgeable(model, database: str, cutoff: datetime, held) -> QuerySet:
    held_workspaces, held_objects = held
    rows = model.all_rows.using(database).filter(trashed_at__lte=cutoff)
    if held_workspaces:
        rows = rows.exclude(workspace_id__in=held_workspaces)
    own = held_objects.get(registry.model_key(model))
    if own:
        rows = rows.exclude(pk__in=list(own))
    for relation in registry.parents_of(model):
        parent_held = held_objects.get(registry.model_key(relation.model))
        if parent_held:
            rows = rows.exclude(**{f"{relation.field}__in": list(parent_held)})
    # A held child must not be deleted by its parent's cascade: keep that parent too.
    for relation in registry.children_of(model):
        child_held = held_objects.get(registry.model_key(relation.model))
        if child_held:
            held_children = relation.model.all_rows.using(database).filter(pk__in=list(child_held))
            rows = rows.exclude(pk__in=held_children.values(relation.field))
    return rows


def trash_purge_due(
    *, region: str, batch_size: int = PURGE_BATCH, now: datetime | None = None
) -> PurgeResult:
    """Delete for good, in ``region``, up to ``batch_size`` rows per model that were trashed
    more than 30 days ago and are not under a legal hold. ``more`` says whether another
    batch is waiting. Running it twice, or after a crash midway, is harmless: each batch
    commits on its own and only ever selects what is still due.
    """
    from mailsoftly.lifecycle.selectors import held_ids

    database = database_for(region)
    cutoff = (now or clock.now()) - RETENTION
    held = held_ids()
    result = PurgeResult()
    for model in registry.trashable_models():
        with transaction.atomic(using=database):
            candidates = _purgeable(model, database, cutoff, held).order_by("pk")
            ids = list(candidates.values_list("pk", flat=True)[: batch_size + 1])
            if len(ids) > batch_size:
                result.more = True
                ids = ids[:batch_size]
            if not ids:
                continue
            # Re-check "still trashed and due" at delete time: a restore that won the race
            # keeps its row.
            victims = model.all_rows.using(database).filter(pk__in=ids, trashed_at__lte=cutoff)
            by_workspace: dict[int, list[str]] = {}
            for pk, workspace_id in victims.values_list("pk", "workspace_id"):
                by_workspace.setdefault(workspace_id, []).append(str(pk))
            files = _file_names(model, victims)
            for hook in registry.purge_hooks_for(model):
                hook(queryset=victims, database=database)
            _count, per_model = victims.delete()
            transaction.on_commit(lambda files=files: _delete_files(files), using=database)
        for label, count in per_model.items():
            if count:
                result.deleted[label.lower()] = result.deleted.get(label.lower(), 0) + count
        # One entry per workspace, kept in its region with the content it names (P40).
        for workspace_id, purged in sorted(by_workspace.items()):
            audit.record(
                action="trash.purge",
                workspace=audit.workspace_by_id(workspace_id),
                target=(registry.model_key(model), f"{len(purged)} rows"),
                after={"region": region, "ids": purged},
            )
    return result
