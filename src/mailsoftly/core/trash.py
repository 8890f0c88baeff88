"""The trash, in one place: every user-made row can be trashed, restored for 30 days, then purged.

A trashed row carries ``trashed_at``. Default managers hide it at once; only the restore
and purge paths (``trashed`` / ``all_rows`` managers) see it. The lifecycle app's
scheduled purge deletes rows whose ``trashed_at`` is older than :data:`RETENTION`.

Use the lifecycle services (``mailsoftly.lifecycle.services.trash_move`` / ``trash_restore``)
rather than these queryset methods directly: they also trash children, respect legal
holds and write the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from mailsoftly.core import clock

RETENTION = timedelta(days=30)


class TrashQuerySet(models.QuerySet):
    def move_to_trash(self, *, by_user_id: int | None = None, at: datetime | None = None) -> int:
        """Mark live rows trashed. ``at`` lets a parent and its children share one instant,
        which is how a restore knows what was trashed together."""
        return self.filter(trashed_at__isnull=True).update(
            trashed_at=at or clock.now(), trashed_by_id=by_user_id
        )

    def restore_from_trash(self) -> int:
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
