"""Finding card numbers: Luhn-valid runs of 13-19 digits, plain or in groups of four."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db import connections

# A card number stands alone: 13-19 digits, not part of a longer digit run, not glued to
# letters (ids and hashes), not the fraction of a decimal (Celery logs runtimes like
# 0.038713280000138184), and starting like a card brand (2-6). Scanning every window of
# longer runs found Luhn-valid "numbers" in random ids by chance (a flaky test).
_RUN = re.compile(r"(?<![0-9A-Za-z.])[2-6]\d{12,18}(?![0-9A-Za-z])")
_GROUPED = re.compile(r"(?<![0-9A-Za-z])[2-6]\d{3}[ -](?:\d{4}[ -]){2}\d{1,7}(?![0-9A-Za-z])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Every Luhn-valid card-like number in ``text``, plain or in groups of four."""
    candidates = [m.group() for m in _RUN.finditer(text)]
    candidates += [re.sub(r"[ -]", "", m.group()) for m in _GROUPED.finditer(text)]
    return [run for run in candidates if 13 <= len(run) <= 19 and luhn_valid(run)]


def scan_databases(aliases=("default", "eu")) -> Iterator[tuple[str, str, str]]:
    """(database, table, number) for every card-like number stored in any table."""
    for alias in aliases:
        connection = connections[alias]
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                for row in cursor.fetchall():
                    for value in row:
                        if value is None:
                            continue
                        if isinstance(value, bytes | memoryview):
                            value = bytes(value).decode("latin-1")
                        for number in card_numbers(str(value)):
                            yield alias, table, number


def scan_databases_for(needles, aliases=("default", "eu")) -> Iterator[tuple[str, str, str]]:
    """(database, table, needle) wherever one of ``needles`` is stored."""
    for alias in aliases:
        connection = connections[alias]
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
                for row in cursor.fetchall():
                    text = " ".join(str(v) for v in row if v is not None)
                    for needle in needles:
                        if needle in text:
                            yield alias, table, needle
