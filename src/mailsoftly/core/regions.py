"""Data residency: which database holds a workspace's content.

The ``default`` database is the global directory (accounts, memberships, the
workspace-to-region index) and also the US region's content database. The ``eu``
database holds EU workspaces' content and nothing else.

Models that inherit :class:`mailsoftly.core.tenancy.WorkspaceOwned` are *regional*: the
router sends them to the database of the workspace they belong to. The region comes,
in order, from the queryset's explicit ``using()`` (set by ``for_workspace``), from the
instance being saved, or from :func:`region_scope`. With none of those the router
refuses, rather than guess and put EU rows in the US.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import models


class Region(models.TextChoices):
    US = "us", "United States"
    EU = "eu", "European Union"


REGION_DATABASES = {Region.US: "default", Region.EU: "eu"}
DIRECTORY_DATABASE = "default"

_current_region: ContextVar[str | None] = ContextVar("mailsoftly_region", default=None)


class RegionNotSet(RuntimeError):
    """A regional model was queried without saying which region it lives in."""


def database_for(region: str) -> str:
    return REGION_DATABASES[Region(region)]


@contextlib.contextmanager
def region_scope(region: str) -> Iterator[str]:
    """Run a block with regional models routed to ``region``'s database."""
    token = _current_region.set(Region(region).value)
    try:
        yield database_for(region)
    finally:
        _current_region.reset(token)


def current_region() -> str | None:
    return _current_region.get()


def is_regional(model: type[models.Model]) -> bool:
    return getattr(model, "_mailsoftly_regional", False)


class RegionRouter:
    """Routes regional models by region and everything else to the directory."""

    def _regional_db(self, model, hints) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        region = _current_region.get()
        if region is None:
            raise RegionNotSet(
                f"{model.__name__} is regional: query it through "
                "Model.objects.for_workspace(workspace) or inside region_scope()."
            )
        return database_for(region)

    def db_for_read(self, model, **hints):
        if is_regional(model):
            return self._regional_db(model, hints)
        return DIRECTORY_DATABASE

    def db_for_write(self, model, **hints):
        return self.db_for_read(model, **hints)

    def allow_relation(self, obj1, obj2, **hints):
        # Regional rows point at directory rows (workspace, user) without a database
        # constraint, so relations across the two are allowed.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Historical models in migrations lose class attributes, so ask the live registry.
        from django.apps import apps

        model = None
        if model_name is not None:
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                model = None
        if model is not None and is_regional(model):
            return db in REGION_DATABASES.values()
        return db == DIRECTORY_DATABASE
