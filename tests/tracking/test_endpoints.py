import pytest
from django.urls import reverse

from mailsoftly.designs.models import Design
from mailsoftly.tracking import tokens
from mailsoftly.tracking.models import CampaignStats, Engagement, Event, Link
from mailsoftly.tracking.recorder import drain
from mailsoftly.tracking.services import link_get_or_create
from mailsoftly.tracking.tagging import Tracker

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 Safari/537.36"


def _click_url(campaign, delivery, url):
    link = link_get_or_create(campaign=campaign, url=url)
    token = tokens.click_token(
        region=campaign.workspace.region, delivery_id=delivery.pk, link_id=link.pk
    )
    return reverse("tracking:click", args=[token]), link


def _late(delivery):
    """Move the delivery's send time back so a click is not a scanner's prefetch."""
    import datetime as dt

    type(delivery).objects.for_workspace(delivery.workspace).filter(pk=delivery.pk).update(
        sent_at=delivery.sent_at - dt.timedelta(minutes=5)
    )


@pytest.mark.policy("P13")
def test_tagging_rewrites_links_and_adds_pixel_but_leaves_our_own_links(
    sent_campaign, deliveries, settings
):
    html = (
        '<html><body><a href="https://shop.example/a?x=1&amp;y=2">A</a>'
        '<a href="mailto:hi@shop.example">mail</a>'
        f'<a href="{settings.BASE_URL}/u/abc/">Unsubscribe</a></body></html>'
    )
    tracker = Tracker(campaign=sent_campaign, enabled=True)
    tagged = tracker.tag_html(html, deliveries[0].pk)
    assert "https://shop.example/a" not in tagged
    assert "mailto:hi@shop.example" in tagged
    assert f"{settings.BASE_URL}/u/abc/" in tagged
    assert tagged.count("/o/") == 1 and 'width="1" height="1"' in tagged
    stored = Link.objects.for_workspace(sent_campaign.workspace).filter(is_honeypot=False).get()
    assert stored.url == "https://shop.example/a?x=1&y=2"
    text = tracker.tag_text("Visit https://shop.example/a?x=1&y=2.", deliveries[0].pk)
    assert text.startswith(f"Visit {settings.BASE_URL}/c/") and text.endswith(".")


def test_tracking_switched_off_leaves_the_message_as_written(sent_campaign, deliveries):
    from mailsoftly.tracking.services import tracking_settings_update

    tracking_settings_update(workspace=sent_campaign.workspace, tracking_enabled=False)
    html = '<html><body><a href="https://shop.example/">A</a></body></html>'
    assert Tracker(campaign=sent_campaign).tag_html(html, deliveries[0].pk) == html


def test_click_redirects_to_exactly_the_stored_url(client, sent_campaign, deliveries):
    url = "https://shop.example/p?utm_source=x&id=%2F9#top"
    path, _ = _click_url(sent_campaign, deliveries[0], url)
    response = client.get(path + "?extra=1", HTTP_USER_AGENT=HUMAN_UA)
    assert response.status_code == 302
    assert response["Location"] == url


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2],
        lambda t: t + "x",
        lambda t: "u1.1.AAAAAAAAAAAAAAAA",
        lambda t: "%2F%2Fevil.example",
    ],
)
def test_tampered_or_forged_click_tokens_get_a_404_page_never_a_redirect(
    client, sent_campaign, deliveries, mangle
):
    path, _ = _click_url(sent_campaign, deliveries[0], "https://shop.example/")
    token = path.rsplit("/", 1)[1]
    response = client.get(reverse("tracking:click", args=["x"]).replace("/x", "/" + mangle(token)))
    assert response.status_code == 404
    assert "Location" not in response


@pytest.mark.parametrize("evil", ["//evil.example", "https:\\\\evil", "javascript:alert(1)"])
def test_a_stored_non_http_destination_is_never_followed(client, sent_campaign, deliveries, evil):
    path, _ = _click_url(sent_campaign, deliveries[0], evil)
    response = client.get(path)
    assert response.status_code == 404


def test_pixel_always_answers_a_gif_with_no_cache(client, sent_campaign, deliveries):
    good = tokens.open_token(region="us", delivery_id=deliveries[0].pk)
    for token in (good, "garbage", good[:-3]):
        response = client.get(reverse("tracking:open", args=[token]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
        assert "no-store" in response["Cache-Control"]
    drain(claim_idle_ms=0)
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


@pytest.mark.policy("P37")
def test_without_ip_collection_events_store_no_ip_and_no_user_agent(
    client, sent_campaign, deliveries
):
    assert Design.objects.for_workspace(sent_campaign.workspace).get().collect_ip_addresses is False
    client.get(
        reverse(
            "tracking:open", args=[tokens.open_token(region="us", delivery_id=deliveries[0].pk)]
        ),
        HTTP_USER_AGENT=HUMAN_UA,
        REMOTE_ADDR="198.51.100.7",
    )
    drain(claim_idle_ms=0)
    event = Event.objects.for_workspace(sent_campaign.workspace).get()
    assert event.ip is None and event.user_agent == ""


@pytest.mark.policy("P37")
def test_with_ip_collection_on_events_store_ip_and_user_agent(client, sent_campaign, deliveries):
    Design.objects.for_workspace(sent_campaign.workspace).update(collect_ip_addresses=True)
    token = tokens.open_token(region="us", delivery_id=deliveries[0].pk, collect_ip=True)
    client.get(
        reverse("tracking:open", args=[token]),
        HTTP_USER_AGENT=HUMAN_UA + "<script>x</script>",
        REMOTE_ADDR="198.51.100.7",
    )
    drain(claim_idle_ms=0)
    event = Event.objects.for_workspace(sent_campaign.workspace).get()
    assert event.ip == "198.51.100.7"
    assert event.user_agent.endswith("<script>x</script>")  # stored as data, escaped on output


def test_machine_opens_and_clicks_are_counted_apart(client, sent_campaign, deliveries):
    first, second = deliveries[0], deliveries[1]
    # Apple Mail Privacy Protection proxy open.
    client.get(
        reverse("tracking:open", args=[tokens.open_token(region="us", delivery_id=first.pk)]),
        HTTP_USER_AGENT="Mozilla/5.0",
        REMOTE_ADDR="17.58.1.1",
    )
    # A scanner follows a link seconds after delivery.
    path, _ = _click_url(sent_campaign, second, "https://shop.example/x")
    client.get(path, HTTP_USER_AGENT=HUMAN_UA)
    # The honeypot is followed only by machines.
    honeypot = Tracker(campaign=sent_campaign, enabled=True).honeypot_id
    client.get(
        reverse(
            "tracking:click",
            args=[tokens.click_token(region="us", delivery_id=first.pk, link_id=honeypot)],
        )
    )
    drain(claim_idle_ms=0)
    stats = CampaignStats.objects.for_workspace(sent_campaign.workspace).get()
    assert (stats.machine_opens, stats.machine_clicks) == (1, 2)
    assert (stats.unique_opens, stats.unique_clicks, stats.interested) == (0, 0, 0)
    reasons = set(
        Event.objects.for_workspace(sent_campaign.workspace).values_list(
            "machine_reason", flat=True
        )
    )
    assert reasons == {"apple_mpp", "prefetch", "honeypot"}


def test_interested_and_very_interested_counts(client, sent_campaign, deliveries):
    a, b = deliveries[0], deliveries[1]
    for delivery in (a, b):
        _late(delivery)
    open_a = reverse("tracking:open", args=[tokens.open_token(region="us", delivery_id=a.pk)])
    client.get(open_a, HTTP_USER_AGENT=HUMAN_UA)
    for url in ("https://shop.example/1", "https://shop.example/2"):
        path, _ = _click_url(sent_campaign, b, url)
        client.get(path, HTTP_USER_AGENT=HUMAN_UA)
    drain(claim_idle_ms=0)
    stats = CampaignStats.objects.for_workspace(sent_campaign.workspace).get()
    assert (stats.unique_opens, stats.unique_clicks, stats.clicks) == (1, 1, 2)
    assert (stats.interested, stats.very_interested) == (2, 1)
    client.get(open_a, HTTP_USER_AGENT=HUMAN_UA)
    client.get(open_a, HTTP_USER_AGENT=HUMAN_UA)
    drain(claim_idle_ms=0)
    stats.refresh_from_db()
    assert (stats.opens, stats.unique_opens, stats.very_interested) == (3, 1, 2)
    engagement = Engagement.objects.for_workspace(sent_campaign.workspace).get(delivery=a)
    assert engagement.very_interested


def test_an_event_ingested_twice_is_stored_once(sent_campaign, deliveries):
    from mailsoftly.tracking.services import events_ingest

    event = {
        "key": "k1",
        "kind": "open",
        "region": "us",
        "delivery_id": deliveries[0].pk,
        "ua": HUMAN_UA,
    }
    assert events_ingest(events=[event, dict(event)]) == 1
    assert events_ingest(events=[event]) == 0
    assert CampaignStats.objects.for_workspace(sent_campaign.workspace).get().opens == 1


def test_a_pixel_flood_from_one_address_is_capped_without_hiding_other_opens(
    client, sent_campaign, deliveries
):
    flood = reverse(
        "tracking:open", args=[tokens.open_token(region="us", delivery_id=deliveries[0].pk)]
    )
    for _ in range(30):
        assert (
            client.get(flood, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=HUMAN_UA).status_code
            == 200
        )
    other = reverse(
        "tracking:open", args=[tokens.open_token(region="us", delivery_id=deliveries[1].pk)]
    )
    client.get(other, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=HUMAN_UA)
    drain(claim_idle_ms=0)
    events = Event.objects.for_workspace(sent_campaign.workspace)
    assert events.filter(delivery=deliveries[0]).count() == 20
    assert events.filter(delivery=deliveries[1]).count() == 1
