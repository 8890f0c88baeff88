import csv
import io
import json

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailsoftly.contacts import exports, selectors, services
from mailsoftly.core.spreadsheets import FORMULA_STARTS
from tests.contacts.factories import ContactFactory


def _csv(workspace):
    text = "".join(
        exports.contacts_csv(
            workspace=workspace, contacts=selectors.contact_list(workspace=workspace)
        )
    )
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize("hostile", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_export_neutralises_formula_cells(workspace, hostile):
    ContactFactory(workspace=workspace, email="a@x.org", first_name=hostile)
    rows = _csv(workspace)
    assert rows[0][:3] == ["email", "first_name", "last_name"]
    assert rows[1][1] == "'" + hostile


@given(st.text(max_size=30))
def test_neutralised_cells_never_start_a_formula(value):
    cell = exports.cell_neutralise(value)
    assert not str(cell).startswith(FORMULA_STARTS)
    assert str(cell).endswith(value)


@pytest.mark.policy("P27")
def test_trashed_contacts_never_appear_in_exports(workspace):
    keep = ContactFactory(workspace=workspace, email="keep@x.org")
    gone = ContactFactory(workspace=workspace, email="gone@x.org")
    services.contact_trash(contact=gone)
    contacts = selectors.contact_list(workspace=workspace)
    assert [r[0] for r in _csv(workspace)[1:]] == [keep.email]
    data = json.loads("".join(exports.contacts_json(workspace=workspace, contacts=contacts)))
    assert [d["email"] for d in data] == ["keep@x.org"]
    book = openpyxl.load_workbook(exports.contacts_xlsx(workspace=workspace, contacts=contacts))
    assert [r[0] for r in book.active.iter_rows(min_row=2, values_only=True)] == ["keep@x.org"]


def test_xlsx_export_neutralises_formulas(workspace):
    ContactFactory(workspace=workspace, email="a@x.org", last_name='=HYPERLINK("x")')
    book = openpyxl.load_workbook(
        exports.contacts_xlsx(
            workspace=workspace, contacts=selectors.contact_list(workspace=workspace)
        )
    )
    first = next(iter(book.active.iter_rows(min_row=2, values_only=True)))
    assert first[2].startswith("'=")


def test_xlsx_export_is_streamed_from_a_temporary_file(logged_in_client, workspace):
    from django.http import FileResponse
    from django.urls import reverse

    for i in range(3):
        ContactFactory(workspace=workspace, email=f"x{i}@example.org")
    response = logged_in_client.get(reverse("contacts:contact_export"), {"format": "xlsx"})
    assert response.status_code == 200
    # Streamed from disk, not a body built in memory.
    assert isinstance(response, FileResponse) and response.streaming
    assert 'filename="contacts.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    emails = sorted(r[0] for r in book.active.iter_rows(min_row=2, values_only=True))
    assert emails == ["x0@example.org", "x1@example.org", "x2@example.org"]
