"""Trash → restore in a real browser at phone width (Debian's Chromium)."""

from __future__ import annotations

import pytest

from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import services
from tests.contacts.factories import ContactFactory
from tests.plugins.browser import browser_sign_in

pytestmark = pytest.mark.browser


@pytest.mark.policy("P26")
def test_restore_from_the_trash_page_at_phone_width(
    browser_page, live_server, logged_in_client, workspace, user
):
    contact = ContactFactory(workspace=workspace, email="oops@example.com")
    services.trash_move(obj_or_queryset=contact, actor=user)
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    browser_sign_in(page.context, live_server.url, user, workspace=workspace)
    page.goto("/lifecycle/trash/")
    assert page.locator("h1").inner_text() == "Trash"
    items = page.get_by_role("list", name="Items in the trash")
    assert "oops@example.com" in items.inner_text()
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Restore oops@example.com").click()
    page.wait_for_url("**/lifecycle/trash/")
    assert "Restored “oops@example.com”." in page.locator("[role=alert]").inner_text()
    assert "The trash is empty." in page.locator("main").inner_text()
    assert Contact.objects.for_workspace(workspace).get() == contact
