"""The import reader gives back exactly the table that was written, whatever the dialect."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsoftly.contacts.importing import files

HEADER = ["email", "first_name", "note"]
# Accented lower-case letters encode to bytes 0xE0-0xFF in Latin-1/cp1252, which can never
# start a valid UTF-8 sequence before ASCII, so such text is unambiguous.
LATIN = "abc XYZ019,;\t\"'=+-@àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ"
ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffd")


def _write(rows, *, delimiter, terminator, blank_every):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        if blank_every and i % blank_every == 0:
            buffer.write(terminator)
        writer.writerow(row)
    return buffer.getvalue()


def _read(tmp_path, data: bytes):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    sniffed = files.sniff(path)
    return sniffed, [r for r in files.rows(path, sniffed) if r.cells]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.text(ANY, max_size=12), min_size=3, max_size=3), min_size=1, max_size=8
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    terminator=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    blank_every=st.integers(0, 3),
)
def test_unicode_files_round_trip(tmp_path, rows, delimiter, terminator, encoding, blank_every):
    text = _write(rows, delimiter=delimiter, terminator=terminator, blank_every=blank_every)
    sniffed, read = _read(tmp_path, text.encode(encoding))
    assert sniffed.delimiter == delimiter
    assert [r.cells for r in read] == [HEADER, *rows]
    assert not any(r.error for r in read)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.text(LATIN, max_size=10), min_size=3, max_size=3), min_size=1, max_size=6
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["latin-1", "cp1252"]),
    accent=st.sampled_from("éüñçø"),
)
def test_single_byte_encodings_round_trip(tmp_path, rows, delimiter, encoding, accent):
    rows = [[*rows[0][:2], rows[0][2] + accent], *rows[1:]]
    text = _write(rows, delimiter=delimiter, terminator="\r\n", blank_every=0)
    sniffed, read = _read(tmp_path, text.encode(encoding))
    assert sniffed.encoding in ("cp1252", "latin-1")
    assert [r.cells for r in read] == [HEADER, *rows]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_reader(tmp_path, junk):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"email,name\n" + junk)
    try:
        sniffed = files.sniff(path)
    except files.ImportFileError:
        return
    for row in files.rows(path, sniffed):
        assert isinstance(row.cells, list)


@given(
    field_type=st.sampled_from(["text", "number", "date"]),
    raw=(st.text("0123456789-./ aé", min_size=1, max_size=12) | st.dates().map(str))
    .map(str.strip)
    .filter(bool),  # the engine strips cells and skips empty ones first
)
def test_quick_field_values_agree_with_the_full_coercion(field_type, raw):
    from mailsoftly.contacts.fieldvalues import field_value_coerce
    from mailsoftly.contacts.importing.engine import _quick_value

    quick = _quick_value(field_type, raw)
    if quick is not None:
        assert quick == field_value_coerce(field_type=field_type, raw=raw)
