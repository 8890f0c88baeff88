"""Set-based ingestion of a drained batch: replays change nothing, workspaces stay apart."""

import itertools
import json
from datetime import timedelta

import pytest
from django.db.models import PositiveIntegerField

from mailsoftly.campaigns import services as campaign_services
from mailsoftly.campaigns.models import Campaign, Delivery
from mailsoftly.core import clock
from mailsoftly.teams.services import workspace_create
from mailsoftly.tracking import recorder
from mailsoftly.tracking.models import CampaignActivity, CampaignStats, Engagement, Event, Link
from mailsoftly.tracking.services import events_ingest, link_get_or_create
from tests.campaigns.helpers import make_campaign, make_list, people

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


def _send(workspace, n, django_capture_on_commit_callbacks, domain="example.org"):
    contact_list, _ = make_list(workspace, people(n, domain=domain))
    campaign = make_campaign(workspace, contact_list)
    with django_capture_on_commit_callbacks(execute=True, using=workspace.database):
        campaign_services.campaign_send(campaign=campaign)
    campaign = Campaign.objects.for_workspace(workspace).get(pk=campaign.pk)
    deliveries = list(
        Delivery.objects.for_workspace(workspace).filter(campaign=campaign).order_by("pk")
    )
    return campaign, deliveries


def _batch(campaign, deliveries, *, region="us"):
    """Opens and clicks on two links, several per delivery, over two hours."""
    links = [
        link_get_or_create(campaign=campaign, url=f"https://shop.example/p/{n}") for n in (1, 2)
    ]
    start = clock.now() + timedelta(hours=1)  # well after sending: people, not scanners
    events = []
    for i, delivery in enumerate(deliveries):
        for n in range(i + 1):
            events.append(
                recorder.new_event(
                    kind="open",
                    region=region,
                    delivery_id=delivery.pk,
                    ua=HUMAN_UA,
                    at=(start + timedelta(minutes=20 * n)).isoformat(),
                )
            )
        for j, link in enumerate(links[: i + 1]):
            events.append(
                recorder.new_event(
                    kind="click",
                    region=region,
                    delivery_id=delivery.pk,
                    link_id=link.pk,
                    ua=HUMAN_UA,
                    at=(start + timedelta(minutes=7 * (j + 1))).isoformat(),
                )
            )
    return events


def _counters(workspace, campaign):
    """Every counter the report reads, as plain values."""
    stats = CampaignStats.objects.for_workspace(workspace).get(campaign=campaign)
    return {
        "stats": {
            f.attname: getattr(stats, f.attname)
            for f in stats._meta.fields
            if isinstance(f, PositiveIntegerField) or f.name == "workspace"
        },
        "links": sorted(
            Link.objects.for_workspace(workspace)
            .filter(campaign=campaign, url__startswith="https://shop.example/p/")
            .values_list("pk", "clicks", "unique_clicks", "machine_clicks")
        ),
        "activity": sorted(
            CampaignActivity.objects.for_workspace(workspace)
            .filter(campaign=campaign)
            .values_list("hour", "opens", "clicks")
        ),
        "engagement": sorted(
            Engagement.objects.for_workspace(workspace)
            .filter(campaign=campaign)
            .values_list("delivery_id", "opens", "clicks", "links_clicked", "very_interested")
        ),
        "events": Event.objects.for_workspace(workspace).filter(campaign=campaign).count(),
    }


def test_a_replayed_batch_leaves_every_counter_as_after_one(
    workspace, django_capture_on_commit_callbacks
):
    campaign, deliveries = _send(workspace, 3, django_capture_on_commit_callbacks)
    events = _batch(campaign, deliveries)

    assert events_ingest(events=events) == len(events)
    once = _counters(workspace, campaign)
    assert events_ingest(events=events) == 0
    assert events_ingest(events=[*events, *events]) == 0

    assert _counters(workspace, campaign) == once
    assert once["events"] == len(events) == 11
    assert once["stats"]["opens"] == 6 and once["stats"]["unique_opens"] == 3
    assert once["stats"]["clicks"] == 5 and once["stats"]["unique_clicks"] == 3
    assert once["stats"]["machine_opens"] == once["stats"]["machine_clicks"] == 0
    assert once["stats"]["very_interested"] == 2  # 3 opens, or two different links
    assert [row[1:] for row in once["links"]] == [(3, 3, 0), (2, 2, 0)]
    assert sum(row[1] for row in once["activity"]) == 6


def test_a_batch_that_overlaps_a_stored_one_adds_only_the_new_events(
    workspace, django_capture_on_commit_callbacks
):
    campaign, deliveries = _send(workspace, 3, django_capture_on_commit_callbacks)
    events = _batch(campaign, deliveries)
    events_ingest(events=events)
    whole = _counters(workspace, campaign)

    Event.objects.for_workspace(workspace).delete()
    CampaignStats.objects.for_workspace(workspace).delete()
    CampaignActivity.objects.for_workspace(workspace).delete()
    Engagement.objects.for_workspace(workspace).delete()
    Link.objects.for_workspace(workspace).update(clicks=0, unique_clicks=0, machine_clicks=0)

    half = len(events) // 2
    events_ingest(events=events[:half])
    assert events_ingest(events=events) == len(events) - half
    assert _counters(workspace, campaign) == whole


def test_a_batch_mixing_workspaces_and_regions_lands_each_in_its_own(
    user, workspace, django_capture_on_commit_callbacks
):
    other = workspace_create(owner=user, name="Other shop")
    eu = workspace_create(owner=user, name="EU shop", region="eu")
    first, first_deliveries = _send(workspace, 1, django_capture_on_commit_callbacks)
    second, second_deliveries = _send(
        other, 3, django_capture_on_commit_callbacks, domain="other.example"
    )
    third, third_deliveries = _send(eu, 2, django_capture_on_commit_callbacks, domain="eu.example")
    one = _batch(first, first_deliveries)
    two = _batch(second, second_deliveries)
    three = _batch(third, third_deliveries, region="eu")
    mixed = [e for trio in itertools.zip_longest(one, two, three) for e in trio if e]
    assert sorted(e["key"] for e in mixed) == sorted(e["key"] for e in one + two + three)

    assert events_ingest(events=mixed) == len(one) + len(two) + len(three)

    for ws, campaign, events in ((workspace, first, one), (other, second, two), (eu, third, three)):
        counters = _counters(ws, campaign)
        assert counters["events"] == len(events)
        opens = sum(e["kind"] == "open" for e in events)
        assert counters["stats"]["opens"] == opens
        assert counters["stats"]["clicks"] == len(events) - opens
        assert counters["stats"]["workspace_id"] == ws.pk
        assert {row[0] for row in counters["engagement"]} == {
            d.pk for d in Delivery.objects.for_workspace(ws).filter(campaign=campaign)
        }
        assert set(Event.objects.for_workspace(ws).values_list("workspace_id", "campaign_id")) == {
            (ws.pk, campaign.pk)
        }


@pytest.mark.integration
def test_a_batch_committed_but_not_acknowledged_is_replayed_without_double_counting(
    redis_url, workspace, django_capture_on_commit_callbacks
):
    campaign, deliveries = _send(workspace, 3, django_capture_on_commit_callbacks)
    events = _batch(campaign, deliveries)
    client = recorder._client()
    for event in events:
        client.xadd(recorder.STREAM, {"e": json.dumps(event)})
    recorder.ensure_group(client)

    # A worker reads the batch, commits it, and dies before acknowledging it.
    taken = client.xreadgroup(recorder.GROUP, "dead-worker", {recorder.STREAM: ">"}, count=100)
    events_ingest(events=[json.loads(fields[b"e"]) for _, fields in taken[0][1]])
    once = _counters(workspace, campaign)
    assert client.xpending(recorder.STREAM, recorder.GROUP)["pending"] == len(events)

    # The next drain claims the same entries, ingests them again, and acknowledges them.
    assert recorder.drain(consumer="worker", claim_idle_ms=0) == len(events)
    assert _counters(workspace, campaign) == once
    assert client.xlen(recorder.STREAM) == 0
    assert client.xpending(recorder.STREAM, recorder.GROUP)["pending"] == 0
