"""The editor in a real Chromium: build an email with blocks, preview it, and screenshots
of every starter template at desktop (600 px) and phone (375 px) widths."""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from mailsoftly.designs.models import Design
from mailsoftly.designs.services import design_create_from_starter
from mailsoftly.designs.starters import starter_list
from mailsoftly.sending.models import CapturedMessage

pytestmark = pytest.mark.browser

PLACEHOLDERS = Path(__file__).resolve().parents[2] / "src/mailsoftly/designs/static/designs"
ARTIFACTS = Path(os.environ.get("MAILSOFTLY_ARTIFACTS", settings.VAR_DIR / "artifacts")) / "designs"


def _signed_in(page, live_server, user, workspace):
    client = Client()
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session["cookie_consent"] = "refused"  # the banner would cover the page's buttons
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
    # Starter images point at BASE_URL; serve them from the source tree instead.
    page.context.route(
        "**/static/designs/placeholders/*.png",
        lambda route: route.fulfill(
            path=str(PLACEHOLDERS / "placeholders" / route.request.url.rsplit("/", 1)[1])
        ),
    )
    return page


def test_build_an_email_with_blocks_and_preview_it(browser_page, live_server, user, workspace):
    page = _signed_in(browser_page, live_server, user, workspace)
    page.goto("/designs/new/")
    page.get_by_role("button", name="Simple blocks (form)").click()
    page.wait_for_url("**/designs/*/")
    design = Design.objects.for_workspace(workspace).get()

    # Add a heading and a button; the footer stays last.
    page.locator("[data-add-block=heading]").click()
    heading = page.locator("li[data-block-type=heading]").last
    heading.get_by_label("Heading").fill("Fresh from the browser")
    page.locator("[data-add-block=button]").click()
    button = page.locator("li[data-block-type=button]")
    button.get_by_label("Button label").fill("Visit us")
    button.get_by_label("Link", exact=True).fill("https://shop.example/spring")
    # Move the button above the new heading.
    button.get_by_role("button", name="Move up").click()
    types = page.locator("ol > li[data-block-type]").evaluate_all(
        "items => items.map(li => li.dataset.blockType)"
    )
    assert types == ["heading", "text", "button", "heading", "footer"]

    # Preview the unsaved draft in the sandboxed frame: nothing is saved yet.
    page.get_by_role("button", name="Preview changes").click()
    frame = page.frame_locator("#preview-frame")
    frame.get_by_text("Fresh from the browser").wait_for()
    assert frame.get_by_role("link", name="Visit us").get_attribute("href") == (
        "https://shop.example/spring"
    )
    design.refresh_from_db()
    assert "Fresh from the browser" not in design.compiled_html
    assert page.locator("#preview-frame").get_attribute("sandbox") == ""

    # Mobile width.
    page.get_by_role("button", name="Mobile").click()
    assert page.locator("#preview-frame").evaluate("f => f.getBoundingClientRect().width") <= 375

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Design saved.").wait_for()
    design.refresh_from_db()
    assert "Fresh from the browser" in design.compiled_html
    assert 'href="https://shop.example/spring"' in design.compiled_html
    assert "Visit us (https://shop.example/spring)" in design.compiled_text
    page.frame_locator("#preview-frame").get_by_text("Fresh from the browser").wait_for()

    # Test send through the outbound path; with no SMTP configured it lands in the capture.
    page.get_by_label("From address").fill("news@acme.example")
    page.get_by_label("Subject").fill("Spring hello {{ contact.first_name }}")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Design saved.").wait_for()
    page.get_by_label("Test recipients").fill("tester@example.com")
    page.get_by_role("button", name="Send a test").click()
    page.get_by_text("Test sent to tester@example.com.").wait_for()
    captured = CapturedMessage.objects.for_workspace(workspace).get()
    message = email.message_from_bytes(bytes(captured.raw), policy=email.policy.default)
    assert message["To"] == "tester@example.com"
    assert message["Subject"] == "[TEST] Spring hello Alex"
    assert "Fresh from the browser" in message.get_body(("plain",)).get_content()
    assert "Fresh from the browser" in message.get_body(("html",)).get_content()


def test_a_script_in_an_html_design_never_runs(browser_page, live_server, user, workspace):
    from mailsoftly.designs.services import design_create

    design = design_create(
        workspace=workspace,
        user=user,
        name="x",
        source_kind="html",
        source="<p>Hello</p><img src=x onerror=\"parent.document.title='pwned'\">",
    )
    page = _signed_in(browser_page, live_server, user, workspace)
    page.goto(f"/designs/{design.pk}/")
    page.frame_locator("#preview-frame").get_by_text("Hello").wait_for()
    assert page.title() != "pwned"


@pytest.mark.parametrize("width", [600, 375])
def test_starter_templates_fit_desktop_and_phone(browser_page, live_server, user, workspace, width):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _signed_in(browser_page, live_server, user, workspace)
    page.set_viewport_size({"width": width, "height": 900})
    for starter in starter_list():
        design = design_create_from_starter(workspace=workspace, user=user, starter=starter)
        page.goto(f"/designs/{design.pk}/preview/")
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, (starter.key, width, overflow)
        # Columns sit side by side on desktop and stack on a phone.
        columns = page.locator(".mj-column-per-50, .mj-column-per-33-333333333333336")
        if columns.count() >= 2:
            first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
            if width == 600:
                assert first["y"] == second["y"], starter.key
            else:
                assert second["y"] > first["y"], starter.key
        page.screenshot(path=str(ARTIFACTS / f"starter-{starter.key}-{width}.png"), full_page=True)
