"""Playwright driving Debian's Chromium (/usr/bin/chromium). Never a downloaded browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests
    # make between browser steps are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_chromium, live_server):
    context = _chromium.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_sign_in(context, base_url: str, user, *, workspace=None) -> None:
    """Give a Playwright browser ``context`` a real session for ``user``.

    Signing in through the form is tested on its own; other browser tests start signed in.
    The cookie banner is answered ("refused") so that it never covers the page under test.
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    if workspace is not None:
        session["workspace_id"] = workspace.pk
    session["cookie_consent"] = "refused"
    session.save()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
    )


def signed_in_page(browser, base_url: str, user, *, workspace=None):
    """A new browser context signed in as ``user``, and a page in it: ``(context, page)``."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    browser_sign_in(context, base_url, user, workspace=workspace)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page
