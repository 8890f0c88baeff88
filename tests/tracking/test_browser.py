"""In a real Chromium: a campaign goes to the local capture, the reader opens the captured
mail and clicks its link, and the report page that is open in another tab updates itself."""

from __future__ import annotations

import datetime as dt
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, Delivery
from mailsoftly.core import clock
from mailsoftly.designs.models import Design
from mailsoftly.sending.models import CapturedMessage
from mailsoftly.tracking.recorder import drain
from tests.campaigns.helpers import make_campaign, make_list
from tests.plugins.browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

# Playwright's own agent says "HeadlessChrome", which is rightly counted as a machine.
READER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)
HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<p><a href="SHOP/sale?utm_source=news">See the sale</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
)


@pytest.fixture
def shop():
    """A shop on another local port (Playwright cannot answer for a redirect's target)."""
    landed: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            landed.append(self.path)
            body = b"<!doctype html><title>Shop</title><h1>Sale</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Chromium resolves any *.localhost name to the loopback address.
    yield f"http://shop.localhost:{server.server_port}", landed
    server.shutdown()
    server.server_close()


def _session_cookie(live_server, user, workspace) -> dict:
    client = Client()
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session["cookie_consent"] = "refused"  # the banner would cover the page
    session.save()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": live_server.url,
    }


def _sent_campaign(workspace, capture, shop_url) -> Campaign:
    html = HTML.replace("SHOP", shop_url)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann")])
    campaign = make_campaign(workspace, contact_list)
    Design.objects.for_workspace(workspace).filter(pk=campaign.design_id).update(
        compiled_html=html, source=html
    )
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    with capture(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    # Ann reads her mail a while after it arrived (a click within seconds is a scanner's).
    Delivery.objects.for_workspace(workspace).update(sent_at=clock.now() - dt.timedelta(minutes=5))
    return campaign


def test_click_in_captured_mail_updates_the_open_report(
    _chromium, live_server, user, workspace, settings, django_capture_on_commit_callbacks, shop
):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url  # tracked links and the pixel point at this server
    settings.TRACKING_REPORT_REFRESH_SECONDS = 1
    shop_url, landed = shop
    campaign = _sent_campaign(workspace, django_capture_on_commit_callbacks, shop_url)
    message = CapturedMessage.objects.for_workspace(workspace).get(campaign_id=campaign.pk)

    # The reader's own browser: the agent is set at launch because a context's agent does
    # not reach the images of a sandboxed frame (the captured mail is shown in one).
    reader = _chromium.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*ARGS, f"--user-agent={READER_UA}"]
    )
    context = reader.new_context(base_url=live_server.url, locale="en-US", user_agent=READER_UA)
    context.set_default_timeout(20_000)
    context.add_cookies([_session_cookie(live_server, user, workspace)])
    try:
        report = context.new_page()
        report.goto(reverse("tracking:report", args=[campaign.pk]))
        expect(report.locator('[data-metric="delivered"]')).to_have_text("1")
        expect(report.locator('[data-metric="click_rate"]')).to_have_text("0.0%")
        expect(report.locator('[data-metric="open_rate"]')).to_have_text("0.0%")

        mail = context.new_page()
        mail.goto(f"{reverse('campaigns:captured', args=[campaign.pk])}?message={message.pk}")
        frame = mail.frame_locator("iframe[title='Message HTML']")
        link = frame.get_by_role("link", name="See the sale")
        expect(link).to_have_attribute("href", re.compile("^" + re.escape(live_server.url) + "/c/"))
        link.click()
        expect(frame.get_by_role("heading", name="Sale")).to_be_visible()
        assert landed == ["/sale?utm_source=news"]  # exactly the written URL, nothing added

        drain(claim_idle_ms=0)  # what the worker does when events wait in Redis
        # The open report page polls its figures: the open and the click appear unaided.
        expect(report.locator('[data-metric="click_rate"]')).to_have_text("100.0%")
        expect(report.locator('[data-metric="open_rate"]')).to_have_text("100.0%")
        expect(report.locator("#report-live")).to_contain_text(f"{shop_url}/sale?utm_source=news")
    finally:
        context.close()
        reader.close()
