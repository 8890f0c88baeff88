"""Trash → restore in a real browser at phone width (Debian's Chromium)."""

from __future__ import annotations

import pytest
from django.conf import settings

from mailsoftly.contacts.models import Contact
from mailsoftly.lifecycle import services
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.browser


def _signed_in(page, client, live_server_url: str) -> None:
    # The logged_in_client fixture made a real session; hand its cookie to the browser.
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server_url,
            }
        ]
    )


@pytest.mark.policy("P26")
def test_restore_from_the_trash_page_at_phone_width(
    browser_page, live_server, logged_in_client, workspace, user
):
    contact = ContactFactory(workspace=workspace, email="oops@example.com")
    services.trash_move(obj_or_queryset=contact, actor=user)
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    _signed_in(page, logged_in_client, live_server.url)
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
