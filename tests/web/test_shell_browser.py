import pytest

from mailsoftly.teams.services import workspace_create

pytestmark = pytest.mark.browser


def _sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_phone_width_shell_has_landmarks_and_a_working_switcher(browser_page, user, workspace):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    other = workspace_create(owner=user, name="Second team")
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    _sign_in(page, user)
    assert page.locator("main#main").count() == 1
    assert page.locator("nav[aria-label=Main]").count() == 1
    # At phone width the menu is collapsed behind the toggler, which works by keyboard.
    switcher = page.locator("#workspace-switcher")
    assert not switcher.is_visible()
    page.locator(".navbar-toggler").focus()
    page.keyboard.press("Enter")
    switcher.wait_for(state="visible")
    with page.expect_navigation():
        switcher.select_option(str(other.pk))
    assert page.locator("h1").inner_text() == "Second team"
    assert "Switched to Second team." in page.locator("[role=alert]").inner_text()


def test_settings_menu_works_by_keyboard_at_phone_width(browser_page, user, workspace):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    _sign_in(page, user)
    settings_button = page.locator("#settings-menu")
    assert not settings_button.is_visible()
    page.locator(".navbar-toggler").focus()
    page.keyboard.press("Enter")
    settings_button.wait_for(state="visible")
    # Settings pages are behind the one menu, not in the bar.
    members = page.locator(".dropdown-menu[aria-labelledby=settings-menu]").get_by_role(
        "link", name="Members"
    )
    assert not members.is_visible()
    settings_button.focus()
    page.keyboard.press("Enter")
    members.wait_for(state="visible")
    assert settings_button.get_attribute("aria-expanded") == "true"
    # The menu fits the phone's width.
    box = page.locator(".dropdown-menu[aria-labelledby=settings-menu]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Arrow keys walk the items; Escape closes the menu and gives focus back.
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement.textContent.trim()")
    assert first == "Workspace"
    page.keyboard.press("Escape")
    members.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "settings-menu"
    # Open again and follow a link by keyboard.
    page.keyboard.press("Enter")
    members.wait_for(state="visible")
    members.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/team/members/")
    assert "active" in (page.locator("#settings-menu").get_attribute("class") or "")
