"""Which models the trash covers, and how their rows hang together.

Nothing registers: every concrete :class:`~mailsoftly.core.tenancy.WorkspaceOwned`
model found through ``apps.get_models()`` is trashable. Children are the trashable
models with a cascading foreign key to another trashable model; they are trashed,
restored and purged together with their parent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from mailsoftly.core.tenancy import WorkspaceOwned


def trashable_models() -> list[type[WorkspaceOwned]]:
    """Every concrete tenant model, in a stable order (by label)."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, WorkspaceOwned) and not model._meta.proxy
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def model_key(model: type[models.Model]) -> str:
    return model._meta.label_lower


def model_for_key(key: str) -> type[WorkspaceOwned] | None:
    """The trashable model named ``app_label.model_name``, or None (never an exception)."""
    for model in trashable_models():
        if model_key(model) == key:
            return model
    return None


@dataclass(frozen=True)
class ChildRelation:
    model: type[WorkspaceOwned]
    field: str  # the child's foreign key to the parent


def _cascading_fks(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.remote_field.on_delete is models.CASCADE
        and isinstance(field.related_model, type)
        and issubclass(field.related_model, WorkspaceOwned)
    ]


def children_of(model: type[WorkspaceOwned]) -> list[ChildRelation]:
    """Trashable models whose rows are deleted with a row of ``model``."""
    return [
        ChildRelation(child, field.name)
        for child in trashable_models()
        for field in _cascading_fks(child)
        if issubclass(model, field.related_model)
    ]


def parents_of(model: type[WorkspaceOwned]) -> list[ChildRelation]:
    """The cascading parents of ``model``: (parent model, the FK on ``model``)."""
    return [ChildRelation(field.related_model, field.name) for field in _cascading_fks(model)]


# --- Purge hooks ----------------------------------------------------------------------
# ``func(*, queryset, database)`` runs inside the purge transaction just before the rows
# in ``queryset`` are deleted for good, e.g. to delete objects in an external store.
# Files in FileFields are deleted by the purge itself, after commit.
_PURGE_HOOKS: dict[str, list[Callable]] = {}


def purge_hook(label: str) -> Callable:
    """Decorator: run ``func(queryset=..., database=...)`` before rows of ``label`` are purged."""

    def register(func: Callable) -> Callable:
        _PURGE_HOOKS.setdefault(label.lower(), []).append(func)
        return func

    return register


def purge_hooks_for(model: type[models.Model]) -> list[Callable]:
    return list(_PURGE_HOOKS.get(model_key(model), []))
