"""Importing a workspace backup ZIP (the ``zip`` export format) into this installation.

The archive's rows get new ids: the import creates a new workspace (in the region the
operator chooses), then inserts each model's rows parents first, rewriting foreign keys
between workspace rows through an old-id → new-id map. References to accounts of the
other installation cannot be resolved here; they point at the importing owner when the
field requires a value and are left empty otherwise. Files are not part of the archive.
All rows are written in one transaction on the target region's database, so a failed
import leaves nothing behind but the empty workspace, which is then deleted.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import models, transaction

from mailsoftly.core.tenancy import WorkspaceOwned
from mailsoftly.lifecycle import audit, registry

BATCH = 1000


class WorkspaceImportError(Exception):
    """The archive cannot be imported; the message says why."""


def _import_order(models_: list[type[WorkspaceOwned]]) -> list[type[WorkspaceOwned]]:
    """Parents before children (a topological order over foreign keys between them)."""
    ordered: list = []
    remaining = list(models_)
    while remaining:
        progressed = False
        for model in list(remaining):
            parents = {
                f.related_model
                for f in model._meta.concrete_fields
                if isinstance(f, models.ForeignKey)
                and f.related_model in remaining
                and f.related_model is not model
            }
            if not parents:
                ordered.append(model)
                remaining.remove(model)
                progressed = True
        if not progressed:  # a cycle: fall back to the remaining models as they are
            ordered.extend(remaining)
            break
    return ordered


def workspace_import(*, archive: Path, owner, name: str = "", region: str = "us"):
    """Create a workspace from a backup ZIP and return it."""
    from mailsoftly.teams.models import Workspace
    from mailsoftly.teams.services import workspace_create

    try:
        bundle = zipfile.ZipFile(archive)
        manifest = json.loads(bundle.read("manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise WorkspaceImportError(f"{archive} is not a Mailsoftly workspace backup") from exc
    if manifest.get("format") != "mailsoftly-workspace-backup":
        raise WorkspaceImportError(f"{archive} is not a Mailsoftly workspace backup")
    known = {registry.model_key(m): m for m in registry.trashable_models()}
    unknown = sorted(set(manifest["models"]) - set(known))
    if unknown:
        raise WorkspaceImportError(f"this installation has no models {', '.join(unknown)}")

    workspace = workspace_create(
        owner=owner, name=name or manifest["workspace"]["name"], region=region
    )
    user_model = get_user_model()
    id_maps: dict[type, dict] = {}
    try:
        with transaction.atomic(using=workspace.database):
            for model in _import_order([known[key] for key in manifest["models"]]):
                key = registry.model_key(model)
                id_maps[model] = _import_model(
                    bundle,
                    key,
                    model,
                    manifest["models"][key]["fields"],
                    workspace,
                    owner,
                    user_model,
                    id_maps,
                )
    except BaseException:
        # Nothing was written in the region (one transaction); drop the empty workspace.
        Workspace.objects.filter(pk=workspace.pk).delete()
        raise
    audit.record(
        action="workspace.imported",
        actor=owner,
        workspace=workspace,
        target=("teams.workspace", workspace.pk),
        after={"rows": {registry.model_key(m): len(ids) for m, ids in id_maps.items()}},
    )
    return workspace


def _import_model(bundle, key, model, names, workspace, owner, user_model, id_maps) -> dict:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    pk_name = model._meta.pk.attname
    mapping: dict = {}
    pending: list[tuple[object, models.Model]] = []

    def flush() -> None:
        created = model.objects.using(workspace.database).bulk_create(
            [obj for _old, obj in pending]
        )
        for (old, _obj), new in zip(pending, created, strict=True):
            mapping[old] = new.pk
        pending.clear()

    with bundle.open(f"{key}.jsonl") as lines:
        for raw in lines:
            row = json.loads(raw)
            values = {"workspace_id": workspace.pk}
            for attname in names:
                field = fields.get(attname)
                if field is None or attname == pk_name:
                    continue
                value = row.get(attname)
                if field.unique and field.has_default():
                    # A globally unique token (a public form key): never reuse the old one.
                    value = field.get_default()
                elif isinstance(field, models.ForeignKey) and value is not None:
                    value = _remap(field, value, owner, user_model, id_maps)
                elif value is not None and not isinstance(field, models.JSONField):
                    value = field.to_python(value)
                values[attname] = value
            pending.append((row.get(pk_name), model(**values)))
            if len(pending) >= BATCH:
                flush()
    if pending:
        flush()
    return mapping


def _remap(field, value, owner, user_model, id_maps):
    target = field.related_model
    if target in id_maps:
        if value not in id_maps[target]:
            raise WorkspaceImportError(
                f"{field.model._meta.label}.{field.name} points at a missing row {value}"
            )
        return id_maps[target][value]
    if target is user_model:
        return None if field.null else owner.pk
    return None if field.null else value
