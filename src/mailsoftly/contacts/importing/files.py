"""Reading import files as a stream of rows."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

SAMPLE_BYTES = 64 * 1024
MAX_FIELD = 1024 * 1024  # one cell may hold up to 1 MB; longer is a row error
MAX_COLUMNS = 500
# XLSX is a zip: refuse archives that would expand far beyond their size.
XLSX_MAX_UNCOMPRESSED = 512 * 1024 * 1024
XLSX_MAX_RATIO = 200
DELIMITERS = (",", ";", "\t", "|")

csv.field_size_limit(MAX_FIELD)


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


@dataclass(frozen=True)
class Sniffed:
    file_format: str  # "csv" / "xlsx"
    encoding: str = ""
    delimiter: str = ""


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4:
        # ASCII text in UTF-16 without a BOM: every other byte is NUL.
        even, odd = sample[0:200:2], sample[1:200:2]
        if odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
            return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a cut multi-byte character at the end is fine
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _detect_delimiter(text: str) -> str:
    """The delimiter that occurs most often (outside quotes) in the first lines."""
    lines = [line for line in text.splitlines()[:20] if line.strip()][:5]
    if not lines:
        return ","
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        counts = []
        for line in lines:
            in_quotes, count = False, 0
            for char in line:
                if char == '"':
                    in_quotes = not in_quotes
                elif char == delimiter and not in_quotes:
                    count += 1
            counts.append(count)
        # Prefer a delimiter that is present in the header and consistent across lines.
        score = counts[0] * 10 + sum(1 for c in counts if c == counts[0])
        if counts[0] > 0 and score > best_score:
            best, best_score = delimiter, score
    return best


def _is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def sniff(path: Path, *, file_name: str = "") -> Sniffed:
    """What kind of file this is, and how to read it."""
    with Path(path).open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise ImportFileError(_("The file is empty."))
    if _is_zip(sample) or file_name.lower().endswith(".xlsx"):
        _check_xlsx(path)
        return Sniffed("xlsx")
    encoding = _detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    return Sniffed("csv", encoding=encoding, delimiter=_detect_delimiter(text))


def _check_xlsx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > XLSX_MAX_RATIO and info.file_size > 10 * 1024 * 1024:
                    raise ImportFileError(
                        _("The spreadsheet expands to an implausible size; it was not opened.")
                    )
            if total > XLSX_MAX_UNCOMPRESSED:
                raise ImportFileError(_("The spreadsheet is too large once unpacked."))
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(_("This is not an Excel (.xlsx) workbook."))
    except zipfile.BadZipFile:
        raise ImportFileError(_("This is not an Excel (.xlsx) workbook.")) from None


@dataclass
class Row:
    number: int  # spreadsheet row number: the header is row 1
    cells: list[str]
    error: str = ""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return (
            value.isoformat(sep=" ")
            if value.time() != datetime.time()
            else value.date().isoformat()
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(path: Path, sniffed: Sniffed) -> Iterator[Row]:
    with Path(path).open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=sniffed.encoding, errors="replace", newline="")
        reader = csv.reader(text, delimiter=sniffed.delimiter or ",", quotechar='"', strict=False)
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(number, [], _("The row cannot be read: %(e)s") % {"e": exc})
                continue
            error = ""
            # One join and two substring searches in C instead of a loop per cell (the
            # separator cannot create a NUL or a replacement character).
            line = "\x1f".join(cells)
            if "\x00" in line:
                cells = [cell.replace("\x00", "") for cell in cells]
                error = _("The row contains NUL bytes; is the file's encoding right?")
            elif "\ufffd" in line:
                error = _("The row has characters that are not valid %(enc)s.") % {
                    "enc": sniffed.encoding
                }
            yield Row(number, cells, error)


def _xlsx_rows(path: Path) -> Iterator[Row]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise ImportFileError(
            _("The workbook cannot be opened (%(e)s).") % {"e": type(exc).__name__}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values[:MAX_COLUMNS]]
            while cells and cells[-1] == "":
                cells.pop()
            yield Row(number, cells)
    finally:
        workbook.close()


def rows(path: Path, sniffed: Sniffed) -> Iterator[Row]:
    """Every row of the file, header included, with its row number."""
    if sniffed.file_format == "xlsx":
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path, sniffed)


def header_and_sample(
    path: Path, sniffed: Sniffed, *, sample_rows: int = 5
) -> tuple[list[str], list[list[str]]]:
    """The header row and a few data rows for the preview (empty lines skipped)."""
    header: list[str] | None = None
    sample: list[list[str]] = []
    for row in rows(path, sniffed):
        if not any(c.strip() for c in row.cells):
            continue
        if header is None:
            header = [c.strip() for c in row.cells]
            if len(header) > MAX_COLUMNS:
                raise ImportFileError(
                    _("The file has %(n)d columns; at most %(max)d are supported.")
                    % {"n": len(header), "max": MAX_COLUMNS}
                )
            continue
        sample.append(row.cells)
        if len(sample) >= sample_rows:
            break
    if header is None:
        raise ImportFileError(_("The file is empty."))
    return header, sample
