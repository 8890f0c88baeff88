"""Data residency: which database holds a workspace's content.

The ``default`` database is the global directory (accounts, memberships, the
workspace-to-region index) and also the US region's content database. The ``eu``
database holds EU workspaces' content and nothing else.

Models that inherit :class:`mailsoftly.core.tenancy.WorkspaceOwned` are *regional*: the
router sends them to the database of the workspace they belong to. The region comes,
in order, from the queryset's explicit ``using()`` (set by ``for_workspace``), from the
instance being saved (its own database, or for a new row its workspace's region), or
from :func:`region_scope`. With none of those the router refuses, rather than guess and
put EU rows in the US.

Residency guards (policy P40), connected by the lifecycle app:

* :func:`guard_regional_write` refuses to save a regional row into any database but its
  workspace's region, even when a caller forces ``using=``;
* :func:`guard_region_change` refuses to change a workspace's region silently: only a
  region migration (inside :func:`region_move_allowed`) may.

Files follow the same rule: :class:`RegionalStorage` keeps each region's files under its
own root (``var/media/<region>/`` by default, ``MAILSOFTLY_REGION_MEDIA_ROOTS``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.utils.deconstruct import deconstructible


class Region(models.TextChoices):
    US = "us", "United States"
    EU = "eu", "European Union"


REGION_DATABASES = {Region.US: "default", Region.EU: "eu"}
DIRECTORY_DATABASE = "default"

_current_region: ContextVar[str | None] = ContextVar("mailsoftly_region", default=None)


class RegionNotSet(RuntimeError):
    """A regional model was queried without saying which region it lives in."""


class RegionMismatch(RuntimeError):
    """A regional row was about to be written to a database outside its workspace's region."""


class RegionChangeRefused(RuntimeError):
    """A workspace's region was changed outside a region migration."""


_region_move: ContextVar[bool] = ContextVar("mailsoftly_region_move", default=False)


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


def workspace_region_of(instance: models.Model) -> str | None:
    """The region of the workspace a regional row belongs to (None: no such workspace)."""
    cached = instance._state.fields_cache.get("workspace")
    if cached is not None:
        return cached.region
    workspace_id = getattr(instance, "workspace_id", None)
    if workspace_id is None:
        return None
    from django.apps import apps

    workspace_model = apps.get_model("teams", "Workspace")
    return (
        workspace_model._default_manager.using(DIRECTORY_DATABASE)
        .filter(pk=workspace_id)
        .values_list("region", flat=True)
        .first()
    )


def guard_regional_write(sender, instance, using, **kwargs) -> None:
    """``pre_save`` guard: a regional row is only ever written to its own region's database.

    This catches what the router cannot see: an explicit ``using()`` / ``save(using=)``
    naming the wrong database. (``bulk_create`` and ``update`` skip signals; they run on a
    queryset that ``for_workspace`` already pointed at the right database.)
    """
    if not is_regional(sender) or kwargs.get("raw"):
        return
    region = workspace_region_of(instance)
    if region is None:
        raise RegionMismatch(
            f"{sender.__name__} row has no existing workspace, so it has no region to live in."
        )
    expected = database_for(region)
    if using != expected:
        raise RegionMismatch(
            f"{sender.__name__} of a {region.upper()} workspace must be written to the "
            f"{expected!r} database, not {using!r}."
        )


@contextlib.contextmanager
def region_move_allowed() -> Iterator[None]:
    """The only context in which a workspace's region may change (a region migration)."""
    token = _region_move.set(True)
    try:
        yield
    finally:
        _region_move.reset(token)


def guard_region_change(sender, instance, update_fields=None, **kwargs) -> None:
    """``pre_save`` guard on Workspace: the region is chosen at creation, never flipped silently."""
    if instance.pk is None or _region_move.get() or kwargs.get("raw"):
        return
    if update_fields is not None and "region" not in update_fields:
        return
    stored = (
        sender._default_manager.using(DIRECTORY_DATABASE)
        .filter(pk=instance.pk)
        .values_list("region", flat=True)
        .first()
    )
    if stored is not None and stored != instance.region:
        raise RegionChangeRefused(
            f"Workspace {instance.pk} is in region {stored!r}; moving it to "
            f"{instance.region!r} needs a region migration (copy, verify, switch, purge)."
        )


def region_media_roots() -> dict[str, str]:
    """Each region's file root, read lazily from settings."""
    from django.conf import settings

    roots = getattr(settings, "MAILSOFTLY_REGION_MEDIA_ROOTS", None)
    if roots:
        return {Region(key).value: str(value) for key, value in roots.items()}
    media = settings.STORAGES["default"].get("OPTIONS", {}).get("location", "media")
    return {region.value: f"{media}/{region.value}" for region in Region}


@deconstructible
class RegionalStorage(Storage):
    """File storage that keeps each region's files under that region's root.

    Stored names begin with the region (``eu/exports/7/data.csv``); the rest of the name is
    resolved inside that region's root only, so an EU file can never land in the US tree.
    """

    def _backend(self, name: str) -> tuple[FileSystemStorage, str, str]:
        region, _, rest = str(name).replace("\\", "/").lstrip("/").partition("/")
        roots = region_media_roots()
        if region not in roots or not rest:
            raise SuspiciousFileOperation(
                f"Regional file name {name!r} must start with a region: {', '.join(roots)}."
            )
        return FileSystemStorage(location=roots[region]), region, rest

    def _open(self, name, mode="rb"):
        backend, _region, rest = self._backend(name)
        return backend._open(rest, mode)

    def _save(self, name, content):
        backend, region, rest = self._backend(name)
        return f"{region}/{backend._save(rest, content)}"

    def get_available_name(self, name, max_length=None):
        backend, region, rest = self._backend(name)
        return f"{region}/{backend.get_available_name(rest, max_length=max_length)}"

    def delete(self, name):
        backend, _region, rest = self._backend(name)
        backend.delete(rest)

    def exists(self, name):
        backend, _region, rest = self._backend(name)
        return backend.exists(rest)

    def size(self, name):
        backend, _region, rest = self._backend(name)
        return backend.size(rest)

    def path(self, name):
        backend, _region, rest = self._backend(name)
        return backend.path(rest)

    def listdir(self, path):
        backend, _region, rest = self._backend(path)
        return backend.listdir(rest)

    def url(self, name):
        raise NotImplementedError("regional files are served through signed views, not URLs")


_regional_storage = RegionalStorage()


def regional_storage() -> RegionalStorage:
    """The storage for ``FileField(storage=regional_storage)`` on regional models."""
    return _regional_storage


@deconstructible
class RegionalUploadTo:
    """``upload_to`` for regional files: ``<region>/<prefix>/<workspace id>/<file name>``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __call__(self, instance: models.Model, filename: str) -> str:
        region = workspace_region_of(instance)
        if region is None:
            raise RegionNotSet(f"{type(instance).__name__} has no workspace, so no file region.")
        return f"{region}/{self.prefix}/{instance.workspace_id}/{filename}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RegionalUploadTo) and other.prefix == self.prefix


class RegionRouter:
    """Routes regional models by region and everything else to the directory."""

    def _regional_db(self, model, hints) -> str:
        instance = hints.get("instance")
        if instance is not None and not is_regional(type(instance)):
            # A directory row as the hint: Django asks this way when a workspace is assigned
            # to a new regional row (``Model(workspace=ws)``). A workspace names its region;
            # any other directory row (a user) says nothing about regions.
            region = getattr(instance, "region", None)
            if region in REGION_DATABASES:
                return database_for(region)
            instance = None
        if instance is not None and instance._state.db:
            return instance._state.db
        if instance is not None and getattr(instance, "workspace_id", None) is not None:
            # A new row goes to its workspace's region, whatever scope the caller is in.
            region = workspace_region_of(instance)
            if region is not None:
                return database_for(region)
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
