"""Data residency: which database holds a workspace's content.

The operator configures the regions (``REGIONS=us=postgres://…,eu=postgres://…``, read by
:mod:`mailsoftly.config.env`; the embedded default is two SQLite files, ``us`` and ``eu``).
One of them, the directory region, holds the global directory (accounts, memberships, the
workspace-to-region index) in Django's ``default`` database next to its own content. Every
other region's database alias is its name and holds that region's content and nothing else.

Models that inherit :class:`mailsoftly.core.tenancy.WorkspaceOwned` are *regional*: the
router sends them to the database of the workspace they belong to. The region comes,
in order, from the queryset's explicit ``using()`` (set by ``for_workspace``), from the
instance being saved (its own database, or for a new row its workspace's region), or
from :func:`region_scope`. With none of those the router refuses, rather than guess and
put EU rows in the US.

Residency guards (policy P40), connected by the lifecycle app:

* :func:`guard_regional_write` refuses to save a regional row into any database but its
  workspace's region, even when a caller forces ``using=``; :class:`RegionGuardedQuerySet`
  does the same for ``bulk_create`` and ``bulk_update``, which send no signals;
* :func:`guard_region_change` refuses to change a workspace's region silently: only a
  region migration (inside :func:`region_move_allowed`) may;
* while a region migration runs, writes to the moving workspace are refused
  (:class:`WorkspaceReadOnly`, through the checker the residency app registers).

Files follow the same rule: :class:`RegionalStorage` keeps each region's files under its
own root (``var/media/<region>/`` by default, ``REGION_MEDIA_ROOTS``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.utils.deconstruct import deconstructible

DIRECTORY_DATABASE = "default"
# The embedded default: the directory and US content in one file, EU content in another.
DEFAULT_REGIONS = ("us", "eu")
_LABELS = {
    "us": "United States",
    "eu": "European Union",
    "ca": "Canada",
    "uk": "United Kingdom",
    "ch": "Switzerland",
    "de": "Germany",
    "au": "Australia",
    "jp": "Japan",
    "sg": "Singapore",
    "br": "Brazil",
    "in": "India",
}


class UnknownRegion(ValueError):
    """A region name that this installation has not configured."""


class RegionNotSet(RuntimeError):
    """A regional model was queried without saying which region it lives in."""


class RegionMismatch(RuntimeError):
    """A regional row was about to be written to a database outside its workspace's region."""


class RegionChangeRefused(RuntimeError):
    """A workspace's region was changed outside a region migration."""


class RegionUnavailable(RuntimeError):
    """This process (a worker) was not given the database of the region it was asked about."""


class WorkspaceReadOnly(RuntimeError):
    """The workspace is moving to another region; nothing of it may change until it lands."""


class RegionName(str):
    """A configured region's name (a ``str``), with the ``value``/``label`` of a choice."""

    @property
    def value(self) -> str:
        return str(self)

    @property
    def label(self) -> str:
        return _LABELS.get(str(self), str(self).upper())


def region_names() -> tuple[str, ...]:
    """The configured regions, directory region first (settings, read lazily)."""
    from django.conf import settings

    return tuple(getattr(settings, "MAILSOFTLY_REGIONS", None) or DEFAULT_REGIONS)


def directory_region() -> str:
    from django.conf import settings

    return getattr(settings, "MAILSOFTLY_DIRECTORY_REGION", None) or region_names()[0]


class _Regions:
    """The configured regions, used like the choices enum it replaces.

    ``Region("eu")`` validates a name (:class:`UnknownRegion`, a ``ValueError``, for one this
    installation does not have); ``Region.values``, ``Region.choices`` and iteration list the
    configured regions. ``Region.US`` / ``Region.EU`` name the two embedded-default regions.
    """

    US = RegionName("us")
    EU = RegionName("eu")

    def __call__(self, value: object) -> RegionName:
        name = str(value.value if isinstance(value, RegionName) else value)
        names = region_names()
        if name not in names:
            raise UnknownRegion(
                f"{name!r} is not a configured region; this installation has: {', '.join(names)}"
            )
        return RegionName(name)

    def __iter__(self) -> Iterator[RegionName]:
        return iter([RegionName(name) for name in region_names()])

    def __contains__(self, value: object) -> bool:
        return value in region_names()

    def __len__(self) -> int:
        return len(region_names())

    @property
    def values(self) -> list[str]:
        return list(region_names())

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(name.value, name.label) for name in self]

    @property
    def default(self) -> RegionName:
        """The region a new workspace gets when nobody chose: US if configured, else the
        directory's region."""
        return self.US if self.US in region_names() else RegionName(directory_region())


Region = _Regions()


def database_alias(region: str) -> str:
    """The Django database alias of a configured region."""
    return DIRECTORY_DATABASE if region == directory_region() else str(region)


class _RegionDatabases(Mapping):
    """``{region name: database alias}`` for the configured regions, read lazily."""

    def __getitem__(self, region: str) -> str:
        if region not in region_names():
            raise KeyError(region)
        return database_alias(region)

    def __iter__(self) -> Iterator[str]:
        return iter(region_names())

    def __len__(self) -> int:
        return len(region_names())


REGION_DATABASES: Mapping[str, str] = _RegionDatabases()

_current_region: ContextVar[str | None] = ContextVar("mailsoftly_region", default=None)
_region_move: ContextVar[bool] = ContextVar("mailsoftly_region_move", default=False)
# Set by the residency app: ``checker(workspace_id) -> message or None`` while it moves.
_read_only_checker: list[Callable[[int], str | None]] = []


def database_for(region: str) -> str:
    """The database alias of ``region``; :class:`UnknownRegion` for one not configured."""
    return database_alias(Region(region))


def region_of_database(alias: str) -> str:
    """The region whose database is ``alias``."""
    for region in region_names():
        if database_alias(region) == alias:
            return region
    raise UnknownRegion(f"database {alias!r} belongs to no configured region")


def served_regions() -> tuple[str, ...]:
    """The regions this process works for: a worker's ``--regions``, else all of them."""
    from django.conf import settings

    served = getattr(settings, "MAILSOFTLY_WORKER_REGIONS", None)
    return tuple(served) if served else region_names()


def require_served(region: str) -> str:
    """The database of ``region`` if this process may work on it, else :class:`RegionUnavailable`.

    A worker started with ``--regions eu`` refuses US work, and any process refuses a region
    whose database it was not configured with, rather than run it against another database.
    """
    from django.conf import settings

    if region not in region_names():
        raise RegionUnavailable(
            f"this worker has no database for region {region!r} "
            f"(configured: {', '.join(region_names())})"
        )
    if region not in served_regions():
        raise RegionUnavailable(
            f"this worker serves regions {', '.join(served_regions())}, not {region!r}"
        )
    alias = database_alias(region)
    if alias not in settings.DATABASES:
        raise RegionUnavailable(f"this worker has no database for region {region!r}")
    return alias


def register_read_only_checker(checker: Callable[[int], str | None]) -> None:
    """Let the residency app say which workspaces are moving (and so read-only)."""
    if checker not in _read_only_checker:
        _read_only_checker.append(checker)


def check_writable(workspace_id: int | None) -> None:
    """:class:`WorkspaceReadOnly` if ``workspace_id`` is being moved to another region."""
    if workspace_id is None or _region_move.get():
        return
    for checker in _read_only_checker:
        message = checker(workspace_id)
        if message:
            raise WorkspaceReadOnly(message)


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


def directory_region_of(workspace_id: int) -> str | None:
    """The region the directory gives ``workspace_id`` now (None: no such workspace).

    Asked on use rather than trusted from a ``Workspace`` instance, which may have been
    loaded before a region move and still name the old region. One plain indexed read
    (the table name comes from model metadata, quoted; the id is a parameter).
    """
    from django.apps import apps
    from django.db import connections

    connection = connections[DIRECTORY_DATABASE]
    table = connection.ops.quote_name(apps.get_model("teams", "Workspace")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT region FROM {table} WHERE id = %s", [workspace_id])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


def workspace_database(workspace: models.Model) -> str:
    """The database of ``workspace``'s region as the directory has it now.

    A workspace instance that outlived a region move routes to its new region, not the
    one it was loaded with (``Workspace.database`` and ``for_workspace`` come here). An
    unsaved or deleted workspace keeps the region it names.
    """
    stored = workspace.pk is not None and not workspace._state.adding
    region = directory_region_of(workspace.pk) if stored else None
    return database_for(region or workspace.region)


def workspace_region_of(instance: models.Model) -> str | None:
    """The region of the workspace a regional row belongs to (None: no such workspace).

    Read from the directory, never from a cached workspace instance (it may predate a
    region move), so the residency guards compare against the region as it is now.
    """
    cached = instance._state.fields_cache.get("workspace")
    if cached is not None and cached._state.adding:
        return cached.region  # never saved: the directory knows nothing of it yet
    workspace_id = getattr(instance, "workspace_id", None)
    if workspace_id is not None:
        return directory_region_of(workspace_id)
    return cached.region if cached is not None else None


def guard_regional_write(sender, instance, using, **kwargs) -> None:
    """``pre_save`` guard: a regional row is only ever written to its own region's database.

    This catches what the router cannot see: an explicit ``using()`` / ``save(using=)``
    naming the wrong database. (``bulk_create`` and ``bulk_update`` skip signals;
    :class:`RegionGuardedQuerySet` checks them the same way.) A workspace in the middle of
    a region migration is read-only: its rows are refused with :class:`WorkspaceReadOnly`.
    """
    if not is_regional(sender) or kwargs.get("raw"):
        return
    check_writable(getattr(instance, "workspace_id", None))
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


def guard_regional_delete(sender, instance, **kwargs) -> None:
    """``pre_delete`` guard: nothing of a workspace is deleted while it moves region."""
    if is_regional(sender):
        check_writable(getattr(instance, "workspace_id", None))


def _check_bulk(queryset: models.QuerySet, objs) -> None:
    """Every row of a bulk write belongs in the database the queryset writes to."""
    database = queryset.db
    regions: dict[int, str | None] = {}
    for obj in objs:
        workspace_id = getattr(obj, "workspace_id", None)
        if workspace_id not in regions:
            check_writable(workspace_id)
            regions[workspace_id] = workspace_region_of(obj)
        region = regions[workspace_id]
        if region is None:
            raise RegionMismatch(
                f"{queryset.model.__name__} row has no existing workspace, so it has no "
                "region to live in."
            )
        expected = database_for(region)
        if database != expected:
            raise RegionMismatch(
                f"{queryset.model.__name__} rows of a {region.upper()} workspace must be "
                f"written to the {expected!r} database, not {database!r}."
            )


class RegionGuardedQuerySet(models.QuerySet):
    """``bulk_create`` / ``bulk_update`` with the residency guard that ``save()`` gets.

    Both skip ``pre_save``, so without this a ``using("default").bulk_create(eu_rows)``
    would write EU rows into the US database.
    """

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _check_bulk(self, objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        _check_bulk(self, objs)
        return super().bulk_update(objs, fields, *args, **kwargs)


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
        return {str(key): str(value) for key, value in roots.items()}
    media = settings.STORAGES["default"].get("OPTIONS", {}).get("location", "media")
    return {region: f"{media}/{region}" for region in region_names()}


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
