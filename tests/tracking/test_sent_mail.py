"""Page tags in real sent mail: a campaign goes through a real SMTP server, and the links
and pixel in the received MIME work against the tracking endpoints."""

import datetime as dt
import re

import pytest

from mailsoftly.campaigns import services
from mailsoftly.campaigns.models import Campaign, Delivery
from mailsoftly.core import clock
from mailsoftly.designs.models import Design
from mailsoftly.tracking import tokens
from mailsoftly.tracking.models import CampaignStats, Link
from mailsoftly.tracking.recorder import drain
from tests.campaigns.helpers import make_campaign, make_list

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<p><a href="https://shop.example/sale?utm_source=news&amp;id=7">Sale</a></p>'
    '<p><a href="{{ preferences_url }}">Preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    "</body></html>"
)
TEXT = "Hi {{ contact.first_name }}\nSale: https://shop.example/sale?utm_source=news&id=7\n"
HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


def _send(workspace, smtp_server, capture, *, track_design=True):
    smtp_server.relay_for(workspace, max_connections=1)
    contact_list, _ = make_list(workspace, [("ann@example.org", "Ann")])
    campaign = make_campaign(workspace, contact_list)
    Design.objects.for_workspace(workspace).filter(pk=campaign.design_id).update(
        compiled_html=HTML, compiled_text=TEXT, source=HTML, track_opens_clicks=track_design
    )
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    with capture(execute=True, using=workspace.database):
        services.campaign_send(campaign=campaign)
    (message,) = smtp_server.messages
    return campaign, message.message


@pytest.mark.policy("P13")
def test_every_link_in_sent_mail_is_tracked_and_redirects_to_its_destination(
    client, workspace, smtp_server, django_capture_on_commit_callbacks, settings
):
    campaign, mime = _send(workspace, smtp_server, django_capture_on_commit_callbacks)
    html = mime.get_body(("html",)).get_content()
    text = mime.get_body(("plain",)).get_content()
    assert "https://shop.example/sale" not in html and "https://shop.example/sale" not in text
    clicks = re.findall(r'href="' + re.escape(settings.BASE_URL) + r'(/c/[^"]+)"', html)
    assert len(clicks) == 2  # the sale link and the hidden honeypot
    pixel = re.search(re.escape(settings.BASE_URL) + r'(/o/[^"]+\.gif)', html).group(1)
    preferences = re.search(re.escape(settings.BASE_URL) + r'(/p/[^"]+/)"', html).group(1)

    sale = Link.objects.for_workspace(workspace).get(is_honeypot=False)
    (sale_path,) = [p for p in clicks if tokens.read(p[3:], kind="click").link_id == sale.pk]
    # A person reads the mail a few minutes later (a click within seconds is a scanner's).
    Delivery.objects.for_workspace(workspace).update(sent_at=clock.now() - dt.timedelta(minutes=5))
    response = client.get(sale_path, HTTP_USER_AGENT=HUMAN_UA)
    assert response["Location"] == sale.url == "https://shop.example/sale?utm_source=news&id=7"
    assert client.get(pixel, HTTP_USER_AGENT=HUMAN_UA).status_code == 200
    assert "ann@example.org" in client.get(preferences).content.decode()
    drain(claim_idle_ms=0)
    stats = CampaignStats.objects.for_workspace(workspace).get(campaign=campaign)
    assert stats.unique_clicks == 1 and stats.unique_opens == 1


@pytest.mark.parametrize("switched_off_for", ["workspace", "design"])
def test_tracking_off_sends_links_as_written(
    workspace, smtp_server, django_capture_on_commit_callbacks, switched_off_for
):
    from mailsoftly.tracking.services import tracking_settings_update

    if switched_off_for == "workspace":
        tracking_settings_update(workspace=workspace, tracking_enabled=False)
    _, mime = _send(
        workspace,
        smtp_server,
        django_capture_on_commit_callbacks,
        track_design=switched_off_for != "design",
    )
    html = mime.get_body(("html",)).get_content()
    assert 'href="https://shop.example/sale?utm_source=news&amp;id=7"' in html
    assert "/o/" not in html and "/c/" not in html
