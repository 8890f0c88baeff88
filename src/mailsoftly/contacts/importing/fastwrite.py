"""Bulk inserts for the import hot path, without building a model instance per row.

PostgreSQL gets ``COPY ... FROM STDIN`` (ids for new contacts are drawn from the table's
sequence first, so the rows that reference them can be written in the same batch);
SQLite gets ``executemany`` with ids allocated above the current maximum while the
batch's IMMEDIATE transaction holds the write lock. Table and column names come from the
models' metadata, values only ever travel as parameters or COPY data: no user text is
part of any SQL string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connections, models


def _table(model: type[models.Model]) -> str:
    return model._meta.db_table


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def adapt_json(connection, value) -> str:
    return json.dumps(value)


def adapt_time(connection, value):
    """A datetime as the backend's driver wants it (SQLite: Django's text form)."""
    if connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)


def allocate_ids(*, using: str, model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model`` (inside the batch's transaction)."""
    if count == 0:
        return []
    connection = connections[using]
    qn = connection.ops.quote_name
    table = _table(model)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [qn(table), count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn(table)}")  # noqa: S608 (names from _meta)
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert_rows(
    *, using: str, model: type[models.Model], fields: Sequence[str], rows: list[tuple]
) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    if not rows:
        return
    connection = connections[using]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in _columns(model, fields))
    table = qn(_table(model))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor, for COPY
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def analyze(*, using: str, models_: Sequence[type[models.Model]]) -> None:
    """Refresh planner statistics after a large import (PostgreSQL only).

    Without them the planner may pick nested loops over a freshly filled table, and a
    segment count over a million contacts takes seconds instead of milliseconds.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {qn(_table(model))}")
