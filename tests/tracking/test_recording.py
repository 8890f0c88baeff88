"""Event recording through the Redis stream: a killed worker loses nothing."""

import json

import pytest

from mailsoftly.tracking import recorder
from mailsoftly.tracking.models import CampaignStats, Event

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def stream(redis_url):
    recorder._client.cache_clear()
    client = recorder._client()
    client.delete(recorder.STREAM)
    yield client
    client.delete(recorder.STREAM)
    getattr(recorder._client, "cache_clear", lambda: None)()


@pytest.mark.integration
def test_events_buffered_by_a_killed_worker_are_claimed_and_stored_once(
    stream, sent_campaign, deliveries
):
    for delivery in deliveries:
        recorder.record(
            recorder.new_event(kind="open", region="us", delivery_id=delivery.pk, ua=HUMAN_UA)
        )
    assert stream.xlen(recorder.STREAM) == 3
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 0

    # A worker reads a batch and dies before committing or acknowledging it.
    recorder.ensure_group(stream)
    taken = stream.xreadgroup(recorder.GROUP, "dead-worker", {recorder.STREAM: ">"}, count=10)
    assert len(taken[0][1]) == 3

    # The next drain takes the dead worker's pending entries over.
    assert recorder.drain(consumer="worker", claim_idle_ms=0) == 3
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 3
    assert stream.xlen(recorder.STREAM) == 0
    # Draining again (or a duplicate delivery of the same entries) changes nothing.
    assert recorder.drain(consumer="worker", claim_idle_ms=0) == 0
    assert CampaignStats.objects.for_workspace(sent_campaign.workspace).get().unique_opens == 3


@pytest.mark.integration
def test_an_entry_delivered_twice_is_counted_once(stream, sent_campaign, deliveries):
    event = recorder.new_event(kind="open", region="us", delivery_id=deliveries[0].pk, ua=HUMAN_UA)
    stream.xadd(recorder.STREAM, {"e": json.dumps(event)})
    stream.xadd(recorder.STREAM, {"e": json.dumps(event)})
    recorder.drain(consumer="worker", claim_idle_ms=0)
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


def test_without_redis_the_event_is_written_directly(sent_campaign, deliveries, monkeypatch):
    monkeypatch.setattr(recorder, "_client", lambda: None)
    recorder.record(
        recorder.new_event(kind="open", region="us", delivery_id=deliveries[0].pk, ua=HUMAN_UA)
    )
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


def test_a_broken_event_store_never_fails_the_caller(
    sent_campaign, deliveries, monkeypatch, caplog
):
    from mailsoftly.tracking import services

    def broken(**kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(recorder, "_client", lambda: None)
    monkeypatch.setattr(services, "events_ingest", broken)
    recorder.record(recorder.new_event(kind="open", region="us", delivery_id=deliveries[0].pk))
    assert "could not be recorded" in caplog.text
