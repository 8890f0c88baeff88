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
