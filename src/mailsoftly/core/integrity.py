"""References the databases do not check themselves, checked here.

Some foreign keys carry no database constraint (``db_constraint=False``):

* a regional row's workspace, actor or creator lives in the directory, another database,
  where no constraint can reach;
* the contacts' child tables (subscriptions, tag links, consent records) dropped theirs for
  import speed (docs/conventions.md).

Django still cascades deletes through them, but a raw delete, a half-restored backup or a
bug could leave a row pointing at nothing. :func:`dangling_references` finds those rows,
database by database, for every such key whose ``on_delete`` says the row must not outlive
its parent. Keys declared ``DO_NOTHING`` keep a former id on purpose (an audit entry's actor
after the account is gone) and are not checked, except a regional row's workspace: the
workspace purge and the region move remove the rows before the workspace, so a row whose
workspace is gone is always a fault. ``mailsoftly manage integrity_check`` runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models, router

CHUNK = 2_000
SAMPLE = 5


@dataclass(frozen=True)
class Dangling:
    """Rows of ``model`` in ``database`` whose ``field`` names a row that does not exist."""

    database: str
    model: str
    field: str
    target: str
    count: int
    sample: tuple[int, ...]

    def __str__(self) -> str:
        ids = ", ".join(str(pk) for pk in self.sample)
        return (
            f"{self.database}: {self.count} {self.model} row(s) point through {self.field} "
            f"at a missing {self.target} (ids {ids})"
        )


def _unchecked_keys() -> Iterator[tuple[type[models.Model], models.ForeignKey]]:
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.db_constraint:
                continue
            owner = field.related_model._meta.label == "teams.Workspace"
            if owner or field.remote_field.on_delete is not models.DO_NOTHING:
                yield model, field


def _databases_of(model: type[models.Model]) -> list[str]:
    return [alias for alias in settings.DATABASES if router.allow_migrate_model(alias, model)]


def _missing(target: type[models.Model], ids: list, databases: list[str]) -> set:
    """Those of ``ids`` that are in none of ``databases``' ``target`` tables."""
    missing = set(ids)
    for alias in databases:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found = target._base_manager.using(alias).filter(pk__in=chunk)
            missing.difference_update(found.values_list("pk", flat=True))
    return missing


def _check(model, field, alias: str) -> Dangling | None:
    target = field.related_model
    rows = model._base_manager.using(alias).exclude(**{f"{field.attname}__isnull": True})
    target_databases = _databases_of(target)
    if target_databases == [alias]:
        # One database: let it find the rows with no parent (an anti-join).
        parents = target._base_manager.using(alias).values("pk")
        orphans = rows.exclude(**{f"{field.attname}__in": parents})
        count = orphans.count()
        sample = tuple(orphans.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    else:
        # The parent lives elsewhere (the directory): compare the distinct ids.
        referenced = list(
            rows.order_by().values_list(field.attname, flat=True).distinct().iterator()
        )
        missing = _missing(target, referenced, target_databases)
        if not missing:
            return None
        orphans = rows.filter(**{f"{field.attname}__in": list(missing)[:CHUNK]})
        count = rows.filter(**{f"{field.attname}__in": missing}).count()
        sample = tuple(orphans.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    if not count:
        return None
    return Dangling(
        database=alias,
        model=model._meta.label,
        field=field.name,
        target=target._meta.label,
        count=count,
        sample=sample,
    )


def dangling_references(databases: list[str] | None = None) -> list[Dangling]:
    """Every unchecked reference that points at nothing, in ``databases`` (default: all)."""
    found = []
    for model, field in _unchecked_keys():
        for alias in _databases_of(model):
            if databases is not None and alias not in databases:
                continue
            finding = _check(model, field, alias)
            if finding is not None:
                found.append(finding)
    return found
