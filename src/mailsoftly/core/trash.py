"""The trash, in one place: every user-made row can be trashed, restored for 30 days, then purged.

A trashed row carries ``trashed_at``. Default managers hide it at once; only the restore
and purge paths (``trashed`` / ``all_rows`` managers) see it. The lifecycle app's
scheduled purge deletes rows whose ``trashed_at`` is older than :data:`RETENTION`.

There is one trash service (``mailsoftly.lifecycle.services.trash``). It plugs itself in
here when the lifecycle app loads, so the queryset and instance methods below go through
it for every tenant model: ``Contact.objects.for_workspace(ws).filter(pk=…).move_to_trash()``
trashes the contact's subscriptions and tags with it, checks the region and writes the
audit row, exactly as ``trash_move`` does. Only the service itself uses the raw
``_mark_trashed`` / ``_mark_restored`` updates. Models the service does not cover (the
directory's memberships) keep the plain update.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import models

from mailsoftly.core import clock

RETENTION = timedelta(days=30)


class TrashService(Protocol):
    """What the lifecycle app plugs in: the one place rows are trashed and restored."""

    def handles(self, model: type[models.Model]) -> bool: ...

    def move(self, *, queryset: models.QuerySet, by_user_id: int | None, at) -> int: ...

    def restore(self, *, queryset: models.QuerySet, by_user_id: int | None) -> int: ...


_service: TrashService | None = None


def trash_service_set(service: TrashService | None) -> None:
    """Plug in the trash service (the lifecycle app does this in ``ready()``)."""
    global _service
    _service = service


def _service_for(model: type[models.Model]) -> TrashService | None:
    if _service is not None and _service.handles(model):
        return _service
    return None


class TrashQuerySet(models.QuerySet):
    def move_to_trash(self, *, by_user_id: int | None = None, at: datetime | None = None) -> int:
        """Move these rows to the trash, with their children, and write the audit row.

        Returns how many rows were trashed; rows already in the trash are left as they are.
        """
        service = _service_for(self.model)
        if service is not None:
            return service.move(queryset=self, by_user_id=by_user_id, at=at)
        return self._mark_trashed(by_user_id=by_user_id, at=at)

    def restore_from_trash(self, *, by_user_id: int | None = None) -> int:
        """Bring these trashed rows back, with what was trashed together with them.

        For tenant models the trash service refuses (with a message for the user) what
        cannot be restored: rows no longer in the trash, held, expired or name-clashing.
        """
        service = _service_for(self.model)
        if service is not None:
            return service.restore(queryset=self, by_user_id=by_user_id)
        return self._mark_restored()

    # The raw updates: only the trash service (and models it does not cover) use them.
    def _mark_trashed(self, *, by_user_id: int | None = None, at: datetime | None = None) -> int:
        """Stamp live rows trashed. ``at`` lets a parent and its children share one instant,
        which is how a restore knows what was trashed together."""
        return self.filter(trashed_at__isnull=True).update(
            trashed_at=at or clock.now(), trashed_by_id=by_user_id
        )

    def _mark_restored(self) -> int:
        return self.filter(trashed_at__isnull=False).update(trashed_at=None, trashed_by_id=None)

    def due_for_purge(self, *, now: datetime | None = None) -> TrashQuerySet:
        return self.filter(trashed_at__lte=(now or clock.now()) - RETENTION)


class Trashable(models.Model):
    trashed_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    @property
    def is_trashed(self) -> bool:
        return self.trashed_at is not None

    @property
    def purge_after(self) -> datetime | None:
        return self.trashed_at + RETENTION if self.trashed_at else None

    def move_to_trash(self, *, by_user_id: int | None = None) -> int:
        """Trash this row (and its children) through the trash service."""
        return self._rows_of_self().move_to_trash(by_user_id=by_user_id)

    def restore_from_trash(self, *, by_user_id: int | None = None) -> int:
        """Restore this row (and what was trashed with it) through the trash service."""
        return self._rows_of_self().restore_from_trash(by_user_id=by_user_id)

    def _rows_of_self(self) -> TrashQuerySet:
        # The base manager sees trashed rows too; the row's own database keeps the region.
        manager = type(self)._base_manager
        return manager.using(self._state.db or manager.db).filter(pk=self.pk)
