"""Tenant scoping, in one place.

Every row a user makes belongs to a workspace and inherits :class:`WorkspaceOwned`. Such
rows are *regional* (see :mod:`mailsoftly.core.regions`) and *trashable* (see
:mod:`mailsoftly.core.trash`). They are fetched in exactly two ways:

* ``Model.objects.for_workspace(workspace)``: the rows of one workspace, from its region's
  database, trash excluded. Views and API endpoints reach this through ``access_*``
  helpers, which answer 404 alike for "missing" and "not yours".
* ``Model.objects.dangerously_all_workspaces(region)``: every workspace's rows in a
  region, for platform jobs such as the trash purge. Its name is the warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

from mailsoftly.core.regions import RegionGuardedQuerySet, database_for, workspace_database
from mailsoftly.core.trash import Trashable, TrashQuerySet

if TYPE_CHECKING:
    from mailsoftly.teams.models import Workspace


class WorkspaceQuerySet(RegionGuardedQuerySet, TrashQuerySet):
    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet:
        # The region as the directory has it now: ``workspace`` may predate a region move.
        return self.using(workspace_database(workspace)).filter(workspace_id=workspace.pk)

    def dangerously_all_workspaces(self, region: str) -> WorkspaceQuerySet:
        return self.using(database_for(region))


class WorkspaceManager(models.Manager.from_queryset(WorkspaceQuerySet)):
    """Live rows only: trashed rows never reach lists, searches, sends or reports."""

    def get_queryset(self) -> WorkspaceQuerySet:
        return super().get_queryset().filter(trashed_at__isnull=True)


class TrashedManager(models.Manager.from_queryset(WorkspaceQuerySet)):
    """Only the trash: for the trash page, restore and purge."""

    def get_queryset(self) -> WorkspaceQuerySet:
        return super().get_queryset().filter(trashed_at__isnull=False)


class AllRowsManager(models.Manager.from_queryset(WorkspaceQuerySet)):
    """Live and trashed rows together: for restore and purge only."""


class WorkspaceOwned(Trashable):
    """Base of every tenant-owned model. Lives in its workspace's region database."""

    _mailsoftly_regional = True

    # The workspace row lives in the directory database, so there is no database-level
    # constraint; the purge removes a workspace's rows before the workspace itself.
    workspace = models.ForeignKey(
        "teams.Workspace",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()
    trashed = TrashedManager()
    all_rows = AllRowsManager()

    class Meta:
        abstract = True
        base_manager_name = "all_rows"
        default_manager_name = "objects"


def access_object[M: WorkspaceOwned](
    model: type[M], *, workspace: Workspace, id: Any, **filters: Any
) -> M:
    """One live object of ``workspace``, or 404 — the same 404 for missing and not yours."""
    try:
        return model.objects.for_workspace(workspace).get(pk=id, **filters)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        # A malformed id (not a number, not a UUID) reads as "not found", never a 500.
        raise Http404(model._meta.verbose_name) from exc
