"""Disjoint id ranges per region, so a workspace can move region keeping its ids.

Each region's database numbers its regional rows from its own band: the n-th configured
region (the directory region is the first, n = 0) starts at ``n * ID_BAND``. An id is
then never handed out by two regions, and a region migration copies rows with their ids
unchanged: links, exports and references to ids stay valid after a move. (A region added
later must be appended to ``REGIONS``: reordering changes bands of new rows only, and the
migration refuses to copy over an id that is already taken.)

``post_migrate`` raises each regional table's sequence to its band's floor; it never
lowers one.
"""

from __future__ import annotations

from django.db import connections

from mailsoftly.core.regions import UnknownRegion, is_regional, region_names, region_of_database

ID_BAND = 10**12  # a trillion rows per region; 9,000 regions stay below 2**53 (safe in JS)


def id_floor(region: str) -> int:
    return region_names().index(region) * ID_BAND


def _regional_models():
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if is_regional(model)
        and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    ]


def raise_sequences(using: str) -> int:
    """Raise every regional table's id sequence in ``using`` to its region's floor."""
    try:
        floor = id_floor(region_of_database(using))
    except (UnknownRegion, ValueError):
        return 0
    if floor == 0:
        return 0
    connection = connections[using]
    raised = 0
    with connection.cursor() as cursor:
        for model in _regional_models():
            # Names come from model metadata and are quoted; the floor is a parameter.
            table = model._meta.db_table
            if table not in connection.introspection.table_names(cursor):
                continue
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, %s)",
                    [connection.ops.quote_name(table), model._meta.pk.column],
                )
                sequence = cursor.fetchone()[0]
                if sequence is None:
                    continue
                # The sequence name comes from PostgreSQL itself, already quoted.
                cursor.execute(f"SELECT last_value FROM {sequence}")  # noqa: S608
                if cursor.fetchone()[0] < floor:
                    cursor.execute("SELECT setval(%s, %s, true)", [sequence, floor])
            elif connection.vendor == "sqlite":
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s AND seq < %s",
                    [floor, table, floor],
                )
                cursor.execute("SELECT 1 FROM sqlite_sequence WHERE name = %s", [table])
                if cursor.fetchone() is None:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, floor]
                    )
            else:
                continue
            raised += 1
    return raised


def keep_band(using: str, model) -> None:
    """After inserting rows with ids from another band, keep ``using``'s sequence in its own.

    SQLite's AUTOINCREMENT jumps to the largest id inserted; put it back to the largest id
    of this region's own band. (PostgreSQL sequences ignore explicit ids.)
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    floor = id_floor(region_of_database(using))
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({column}) FROM {table} WHERE {column} > %s AND {column} <= %s",  # noqa: S608
            [floor, floor + ID_BAND],
        )
        top = cursor.fetchone()[0] or floor
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [top, model._meta.db_table]
        )


def on_post_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """``post_migrate`` receiver: keep each region's new ids in its band."""
    raise_sequences(using)
