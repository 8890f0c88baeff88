"""Exports of contacts (CSV, JSON, XLSX) and of an import's error report.

Every text cell that a spreadsheet would read as a formula (starting with ``=``, ``+``,
``-``, ``@``, tab or CR) is prefixed with an apostrophe, so a hostile name such as
``=HYPERLINK(...)`` stays text when the file is opened in Excel or LibreOffice.
CSV and JSON are generated row by row for a streaming response; XLSX is written to a
temporary file and streamed from there.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from typing import IO

from django.db.models import QuerySet

from mailsoftly.contacts.models import Contact, ContactImport, CustomField, ImportRowError
from mailsoftly.core.spreadsheets import cell_neutralise

EXPORT_CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a BOM so Excel opens UTF-8 correctly
    yield writer.writerow([cell_neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([cell_neutralise(v) for v in row])


def _contact_columns(workspace) -> tuple[list[str], list[str]]:
    keys = list(CustomField.objects.for_workspace(workspace).values_list("key", flat=True))
    header = ["email", "first_name", "last_name", "status", "created_at", *keys]
    return header, keys


def _contact_rows(contacts: QuerySet[Contact], keys: list[str]) -> Iterator[list]:
    # Trashed rows are already excluded by the default manager (P27); iterate in chunks.
    columns = ("email", "first_name", "last_name", "status", "created_at", "fields")
    for email, first, last, status, created, fields in contacts.values_list(*columns).iterator(
        chunk_size=EXPORT_CHUNK
    ):
        fields = fields or {}
        yield [email, first, last, status, created.isoformat(), *(fields.get(k, "") for k in keys)]


def contacts_csv(*, workspace, contacts: QuerySet[Contact]) -> Iterator[str]:
    header, keys = _contact_columns(workspace)
    return _csv_lines(header, _contact_rows(contacts, keys))


def contacts_json(*, workspace, contacts: QuerySet[Contact]) -> Iterator[str]:
    header, keys = _contact_columns(workspace)
    yield "["
    first = True
    for row in _contact_rows(contacts, keys):
        item = dict(zip(header[:5], row[:5], strict=True))
        item["fields"] = dict(zip(keys, row[5:], strict=True))
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]\n"


def contacts_xlsx(*, workspace, contacts: QuerySet[Contact]) -> IO[bytes]:
    """An XLSX workbook in an anonymous temporary file, positioned at its start.

    openpyxl's write-only mode streams the rows to disk and the zip is written to the file,
    so memory stays flat however many contacts there are; the file disappears when closed
    (``FileResponse`` closes it once sent).
    """
    import openpyxl

    header, keys = _contact_columns(workspace)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Contacts")
    sheet.append(header)
    for row in _contact_rows(contacts, keys):
        sheet.append([cell_neutralise(v) for v in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    try:
        workbook.save(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def import_error_report_csv(*, contact_import: ContactImport) -> Iterator[str]:
    """The per-row error report of an import: row number, address as given, reason."""
    errors = (
        ImportRowError.objects.for_workspace(contact_import.workspace)
        .filter(contact_import=contact_import)
        .order_by("row_number", "id")
        .values_list("row_number", "email", "reason")
    )
    return _csv_lines(["row", "email", "reason"], (list(e) for e in errors.iterator()))
