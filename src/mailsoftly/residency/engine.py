"""Copy, verify and purge one workspace's regional rows and files between two regions.

Rows are read through the ORM (so encrypted fields and JSON come back as values) and
written to the target with plain parameterised INSERTs that keep every column as it was,
ids included (each region numbers rows in its own band, see :mod:`core.region_ids`), and
``created_at`` / ``updated_at`` untouched. The whole copy is one transaction on the target:
a run that stops midway leaves nothing there, and the next run starts the copy again.

A checksum per table is the SHA-256 of its rows in id order, each row as canonical JSON of
its values; file fields are compared by the file's name inside the region and the SHA-256
of its bytes. Table names and columns come from model metadata and are quoted; values are
always parameters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.db import connections, models, transaction

from mailsoftly.core.region_ids import keep_band
from mailsoftly.core.regions import database_for, is_regional, region_media_roots

BATCH = 500


class MoveError(RuntimeError):
    """A move cannot go on; the message says why (shown to the user and the operator)."""


def regional_models() -> list[type[models.Model]]:
    """Every concrete regional model, a table after the tables it points to."""
    found = [
        model
        for model in apps.get_models()
        if is_regional(model) and model._meta.managed and not model._meta.proxy
    ]
    ordered: list[type[models.Model]] = []
    placed: set[type[models.Model]] = set()

    def place(model, path=()):
        if model in placed or model in path:
            return
        for each in model._meta.concrete_fields:
            target = getattr(each, "related_model", None)
            if each.is_relation and target in found and target is not model:
                place(target, (*path, model))
        placed.add(model)
        ordered.append(model)

    for model in sorted(found, key=lambda m: m._meta.label):
        place(model)
    return ordered


def _columns(model) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _file_indexes(model) -> list[int]:
    return [i for i, f in enumerate(_columns(model)) if isinstance(f, models.FileField)]


def _rename(name: str | None, source: str, target: str) -> str | None:
    """A regional file name moved to another region (``us/exports/7/a.csv`` → ``eu/…``)."""
    if not name:
        return name
    prefix = f"{source}/"
    return f"{target}/{name[len(prefix) :]}" if name.startswith(prefix) else name


def _rows(model, alias: str, workspace_id: int) -> Iterator[tuple]:
    names = [f.attname for f in _columns(model)]
    queryset = (
        model._base_manager.using(alias)
        .filter(workspace_id=workspace_id)
        .order_by("pk")
        .values_list(*names)
    )
    yield from queryset.iterator(chunk_size=BATCH)


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def _file_path(name: str) -> Path | None:
    region, _, rest = name.partition("/")
    root = region_media_roots().get(region)
    return Path(root) / rest if root and rest else None


def _file_digest(name: str) -> str | None:
    path = _file_path(name)
    if path is None or not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class TableSum:
    rows: int = 0
    checksum: str = ""
    files: dict[str, str | None] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"rows": self.rows, "checksum": self.checksum, "files": len(self.files)}


def table_sum(
    model, alias: str, workspace_id: int, rename: Callable[[str | None], str | None] | None = None
) -> TableSum:
    """Row count, checksum and file digests of one workspace's rows of ``model`` in ``alias``.

    ``rename`` maps file names first, so a source table sums as it should read once moved.
    """
    indexes = _file_indexes(model)
    digest = hashlib.sha256()
    result = TableSum()
    for row in _rows(model, alias, workspace_id):
        values = list(row)
        for index in indexes:
            original = values[index]
            if original:
                result.files[rename(original) if rename else original] = _file_digest(original)
                values[index] = rename(original) if rename else original
        digest.update(json.dumps(values, default=_plain, sort_keys=True).encode())
        digest.update(b"\n")
        result.rows += 1
    result.checksum = digest.hexdigest()
    return result


def _delete_rows(model, alias: str, workspace_id: int) -> int:
    connection = connections[alias]
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field("workspace").column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [workspace_id])  # noqa: S608
        return cursor.rowcount


def _taken_ids(model, alias: str, workspace_id: int, ids: list) -> list:
    return list(
        model._base_manager.using(alias)
        .filter(pk__in=ids)
        .exclude(workspace_id=workspace_id)
        .values_list("pk", flat=True)[:5]
    )


def _insert(model, alias: str, rows: list[list]) -> None:
    connection = connections[alias]
    # Generated columns are computed by the database from the others.
    keep = [i for i, f in enumerate(_columns(model)) if not getattr(f, "generated", False)]
    columns = [_columns(model)[i] for i in keep]
    rows = [[row[i] for i in keep] for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    marks = ", ".join(["%s"] * len(columns))
    prepared = [
        [
            f.get_db_prep_save(value, connection=connection)
            for f, value in zip(columns, row, strict=True)
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", prepared)  # noqa: S608


def _copy_file(source_name: str, target_name: str) -> None:
    source, target = _file_path(source_name), _file_path(target_name)
    if source is None or target is None or not source.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with source.open("rb") as reader, partial.open("wb") as writer:
        for chunk in iter(lambda: reader.read(1 << 16), b""):
            writer.write(chunk)
    partial.replace(target)


def copy_table(model, *, workspace_id: int, source: str, target: str) -> int:
    """Copy one table's rows (and files) of the workspace; the caller holds the transaction."""
    source_db, target_db = database_for(source), database_for(target)
    _delete_rows(model, target_db, workspace_id)  # a resumed copy starts the table over
    indexes = _file_indexes(model)
    copied = 0
    batch: list[list] = []

    def flush():
        taken = _taken_ids(model, target_db, workspace_id, [row[pk_index] for row in batch])
        if taken:
            raise MoveError(
                f"{model._meta.db_table}: ids {taken} are already used in region {target!r}; "
                "this installation's regions share an id range (see docs/deploy.md, Regions)"
            )
        _insert(model, target_db, batch)
        batch.clear()

    pk_index = next(i for i, f in enumerate(_columns(model)) if f.primary_key)
    for row in _rows(model, source_db, workspace_id):
        values = list(row)
        for index in indexes:
            if values[index]:
                renamed = _rename(values[index], source, target)
                _copy_file(values[index], renamed)
                values[index] = renamed
        batch.append(values)
        copied += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    keep_band(target_db, model)
    return copied


def copy_workspace(
    *, workspace_id: int, source: str, target: str, progress: Callable[[str, int], None]
) -> dict[str, int]:
    """Copy every regional table of the workspace in one target transaction."""
    copied = {}
    with transaction.atomic(using=database_for(target)):
        for model in regional_models():
            copied[model._meta.db_table] = copy_table(
                model, workspace_id=workspace_id, source=source, target=target
            )
            progress(model._meta.db_table, copied[model._meta.db_table])
    return copied


def verify_workspace(
    *, workspace_id: int, source: str, target: str, progress: Callable[[str, int], None]
) -> tuple[dict, list[str]]:
    """Per-table counts and checksums on both sides; the list names every difference."""
    report, problems = {}, []
    for model in regional_models():
        table = model._meta.db_table
        before = table_sum(
            model,
            database_for(source),
            workspace_id,
            rename=lambda name: _rename(name, source, target),
        )
        after = table_sum(model, database_for(target), workspace_id)
        report[table] = before.as_json()
        if before.rows != after.rows:
            problems.append(f"{table}: {before.rows} rows in {source}, {after.rows} in {target}")
        elif before.checksum != after.checksum:
            problems.append(f"{table}: the rows differ between {source} and {target}")
        elif before.files != after.files:
            problems.append(f"{table}: the files differ between {source} and {target}")
        progress(table, before.rows)
    return report, problems


def _file_names(model, alias: str, workspace_id: int) -> list[str]:
    indexes = _file_indexes(model)
    if not indexes:
        return []
    return [row[i] for row in _rows(model, alias, workspace_id) for i in indexes if row[i]]


def delete_workspace(
    *, workspace_id: int, region: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Delete every regional row and file of the workspace in ``region``."""
    alias = database_for(region)
    files = [
        name for model in regional_models() for name in _file_names(model, alias, workspace_id)
    ]
    deleted = {}
    with transaction.atomic(using=alias):
        for model in reversed(regional_models()):
            deleted[model._meta.db_table] = _delete_rows(model, alias, workspace_id)
            if progress:
                progress(model._meta.db_table, deleted[model._meta.db_table])
    for name in files:
        path = _file_path(name)
        if path is not None and path.is_file():
            path.unlink()
    return deleted
