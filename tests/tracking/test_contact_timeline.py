"""The contact page shows the contact's opens, clicks, unsubscribes and bounces, with the IP
address and browser only when the email collected them (P37)."""

import datetime as dt

import pytest
from django.urls import reverse

from mailsoftly.core import clock
from mailsoftly.designs.models import Design
from mailsoftly.tracking import recorder, tokens
from mailsoftly.tracking.recorder import drain
from mailsoftly.tracking.services import events_ingest, link_get_or_create

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


def _open(client, delivery, ua=HUMAN_UA, collect_ip=False):
    # As the sender issues it: marked when the email collects IP addresses.
    token = tokens.open_token(region="us", delivery_id=delivery.pk, collect_ip=collect_ip)
    client.get(
        reverse("tracking:open", args=[token]), HTTP_USER_AGENT=ua, REMOTE_ADDR="203.0.113.9"
    )


def _click(client, campaign, delivery, url, ua=HUMAN_UA):
    link = link_get_or_create(campaign=campaign, url=url)
    token = tokens.click_token(region="us", delivery_id=delivery.pk, link_id=link.pk)
    client.get(
        reverse("tracking:click", args=[token]), HTTP_USER_AGENT=ua, REMOTE_ADDR="203.0.113.9"
    )


def _page(client, delivery) -> str:
    response = client.get(reverse("contacts:contact_detail", args=[delivery.contact_id]))
    assert response.status_code == 200
    return response.content.decode()


def _people_read_later(deliveries):
    """A click seconds after delivery is a scanner's: these people read the mail later."""
    model = type(deliveries[0])
    model.objects.for_workspace(deliveries[0].workspace).update(
        sent_at=clock.now() - dt.timedelta(minutes=10)
    )


@pytest.mark.policy("P37")
def test_timeline_shows_events_without_ip_or_browser_when_not_collected(
    client, logged_in_client, sent_campaign, deliveries
):
    _people_read_later(deliveries)
    first = deliveries[0]
    _open(client, first)
    _click(client, sent_campaign, first, "https://shop.example/sale?x=1")
    drain(claim_idle_ms=0)

    page = _page(logged_in_client, first)
    assert 'data-event-kind="open"' in page and 'data-event-kind="click"' in page
    assert "https://shop.example/sale?x=1" in page
    assert sent_campaign.name in page
    assert 'data-collected="ip"' not in page and "203.0.113.9" not in page
    assert 'data-collected="user-agent"' not in page and "Firefox/133.0" not in page
    assert 'data-engagement-level="interested"' in page
    # Another contact's page shows none of it.
    other = _page(logged_in_client, deliveries[1])
    assert 'data-event-kind="open"' not in other
    assert 'data-engagement-level="cold"' in other


@pytest.mark.policy("P37")
def test_timeline_shows_ip_and_escaped_browser_when_the_email_collects_them(
    client, logged_in_client, sent_campaign, deliveries
):
    Design.objects.for_workspace(sent_campaign.workspace).update(collect_ip_addresses=True)
    _people_read_later(deliveries)
    first = deliveries[0]
    _open(client, first, ua=HUMAN_UA + " <script>alert(1)</script>", collect_ip=True)
    drain(claim_idle_ms=0)

    page = _page(logged_in_client, first)
    assert 'data-collected="ip"' in page and "203.0.113.9" in page
    assert 'data-collected="user-agent"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_timeline_shows_unsubscribes_bounces_and_machine_activity(
    client, logged_in_client, sent_campaign, deliveries
):
    first = deliveries[0]
    events_ingest(
        events=[
            recorder.new_event(region="us", delivery_id=first.pk, kind="unsubscribe"),
            recorder.new_event(
                region="us", delivery_id=first.pk, kind="bounce", bounce_type="soft"
            ),
        ]
    )
    # A privacy proxy's open is shown, marked as not counted.
    _open(client, first, ua="Mozilla/5.0")
    drain(claim_idle_ms=0)

    page = _page(logged_in_client, first)
    assert 'data-event-kind="unsubscribe"' in page and 'data-event-kind="bounce"' in page
    assert "Not counted: mail privacy proxy" in page
    assert 'data-engagement-level="cold"' in page  # machines are not interest
