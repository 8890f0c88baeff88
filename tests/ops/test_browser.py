"""In Debian's Chromium: staff open an account with a reason; the owner sees it (P14)."""

import pytest

from mailsoftly.teams.services import workspace_create
from tests.factories import UserFactory
from tests.plugins.browser import browser_sign_in

pytestmark = pytest.mark.browser


@pytest.mark.policy("P14")
def test_staff_opens_an_account_with_a_reason_and_the_owner_sees_it(browser_page, live_server):
    page = browser_page
    owner = UserFactory(username="olga")
    workspace_create(owner=owner, name="Olga's shop")
    staff = UserFactory(username="sam-support", is_staff=True)

    page.context.clear_cookies()
    browser_sign_in(page.context, live_server.url, staff)
    page.goto("/support/")
    page.get_by_label("Name, email or id").fill("olga")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="olga", exact=True).click()
    # No reason, no account details.
    assert page.get_by_text("olga@example.com").count() == 0
    page.get_by_label("Reason (ticket reference)").fill("TICKET-9001")
    page.get_by_role("button", name="Open").click()
    page.get_by_text("olga@example.com").wait_for()

    page.context.clear_cookies()
    browser_sign_in(page.context, live_server.url, owner)
    page.goto("/account/access-history/")
    row = page.get_by_role("row").filter(has_text="TICKET-9001")
    row.wait_for()
    assert "sam-support" in row.inner_text()
