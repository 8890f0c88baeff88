"""Import a messy CSV in a real Chromium and download the error report."""

from __future__ import annotations

import csv
import io

import pytest
from django.conf import settings
from django.test import Client

from mailsoftly.contacts.models import Contact

pytestmark = pytest.mark.browser

MESSY = (
    "\ufeffEmail Address;First Name;Last Name\r\n"
    "ann@example.org;Ann;Smith\n"
    "not-an-email;Bad;Row\r\n"
    "\r\n"
    "ANN@example.org;Dup;Licate\n"
    '"bob@example.org";"Bob; Jr.";"=HYPERLINK(""x"")"\r'
)


def _signed_in(page, live_server, user, workspace):
    client = Client()
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session["cookie_consent"] = "refused"
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_import_messy_csv_and_download_error_report(
    browser_page, live_server, user, workspace, tmp_path
):
    page = _signed_in(browser_page, live_server, user, workspace)
    upload = tmp_path / "messy.csv"
    upload.write_bytes(MESSY.encode("utf-8"))
    page.goto("/contacts/imports/")
    page.get_by_label("CSV or Excel file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/contacts/imports/*/")
    # The Mailchimp-style header mapped itself.
    assert page.get_by_label("Field for column Email Address").input_value() == "email"
    page.get_by_role("button", name="Start import").click()
    page.get_by_role("link", name="See contacts").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the error report (CSV)").click()
    report = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["row", "email", "reason"]
    assert [r[0] for r in rows[1:]] == ["3", "5"]
    assert "Duplicate of row 2" in rows[2][2]
    bob = Contact.objects.for_workspace(workspace).get(email_key="bob@example.org")
    assert bob.first_name == "Bob; Jr."
    page.goto("/contacts/?q=bob")
    assert page.get_by_role("link", name="bob@example.org").is_visible()
