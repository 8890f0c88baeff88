"""The whole account journey in Debian's Chromium: sign-up, verify, sign in, settings, cookies."""

import re
import time

import pytest
from django.core import mail

from mailsoftly.accounts.models import MarketingConsent, User
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.browser

ESSENTIAL = {"sessionid", "csrftoken", "django_language"}


def _confirmation_path() -> str:
    for message in reversed(mail.outbox):
        match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body)
        if match:
            return match.group(1)
    raise AssertionError("no confirmation mail in the outbox")


@pytest.mark.policy("P05", "P08", "P19", "P23", "P33", "P35")
def test_sign_up_verify_sign_in_and_change_settings(browser_page):
    page = browser_page
    page.goto("/accounts/signup/?utm_source=browser-test")
    # Even with everything accepted, no analytics is configured, so no cookie beyond the
    # essential ones may appear (checked at the end). Refusing is tested in test_cookies.
    page.get_by_role("button", name="Accept all").click()
    assert page.locator("#cookie-banner").count() == 0

    page.get_by_label("Username").fill("lena")
    page.get_by_label("Email").fill("lena@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I am 13 years of age or older.").check()
    page.get_by_label("I have read and accept the privacy policy.").check()
    marketing = page.get_by_label(re.compile("Send me occasional news"))
    assert not marketing.is_checked()
    marketing.check()
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/accounts/confirm-email/")

    user = User.objects.get(username="lena")
    assert user.utm_source == "browser-test"
    assert MarketingConsent.objects.get(user=user).granted

    page.goto(_confirmation_path())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(lambda url: "/confirm-email/" not in url)

    # Sign out, then back in with "remember me".
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    remember = page.get_by_label("Keep me signed in for two weeks")
    assert not remember.is_checked()
    remember.check()
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["expires"] > time.time() + 13 * 24 * 3600
    assert session["httpOnly"] and session["sameSite"] == "Lax"

    # My Account: timezone and language take effect on save.
    page.goto("/account/")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", name="Mein Konto").is_visible()
    page.get_by_label(re.compile("Schickt mir gelegentlich")).uncheck()
    page.get_by_role("button", name="Einstellungen speichern").nth(1).click()
    page.wait_for_load_state()
    user.refresh_from_db()
    assert (user.language, user.timezone, user.marketing_opt_in) == ("de", "Europe/Berlin", False)

    names = {c["name"] for c in page.context.cookies()}
    assert names <= ESSENTIAL, names - ESSENTIAL
