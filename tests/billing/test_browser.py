"""Choose Pro → the fake gateway's checkout → plan active → limits raised, in Chromium."""

import pytest

from mailsoftly.billing.selectors import plan_for_workspace
from mailsoftly.billing.services import limit_check
from tests.plugins.browser import signed_in_page

pytestmark = pytest.mark.browser


@pytest.mark.policy("P06", "P07")
def test_choose_pro_fake_checkout_plan_active_limits_raised(
    _chromium, live_server, user, workspace
):
    context, page = signed_in_page(_chromium, live_server.url, user)
    csp_violations = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        page.set_viewport_size({"width": 390, "height": 844})  # phone width
        page.goto("/billing/")
        essential = page.get_by_role("button", name="Only essential cookies")
        if essential.count():
            essential.click()
        assert page.get_by_test_id("current-plan").inner_text() == "Free"
        assert page.get_by_test_id("limit-contacts").inner_text() == "500"

        page.get_by_role("button", name="Choose Pro").click()
        page.get_by_role("heading", name="Subscribe to Pro").wait_for()
        assert "/billing/fake-gateway/checkout/" in page.url
        # The gateway's page asks for no card at all.
        assert (
            page.locator("main").locator("input:not([type=hidden]), select, textarea").count() == 0
        )
        page.get_by_role("button", name="Pay (test)").click()

        page.get_by_text("The Pro plan is active.").wait_for()
        assert page.get_by_test_id("current-plan").inner_text() == "Pro"
        assert page.get_by_test_id("limit-contacts").inner_text() == "10,000"
        assert page.get_by_test_id("limit-seats").inner_text() == "5"
        assert csp_violations == []
    finally:
        context.close()
    assert plan_for_workspace(workspace=workspace).code == "pro"
    limit_check(workspace=workspace, resource="api")
    limit_check(workspace=workspace, resource="export_format", value="xlsx")
