"""Tracking events while a workspace moves region: only that workspace's events wait.

A drained batch mixes workspaces. The moving one is read-only, so its events cannot be
stored yet; the others' must not be held back with them (issue 12).
"""

import pytest

from mailsoftly.core.regions import WorkspaceReadOnly
from mailsoftly.residency.models import MoveState, RegionMove
from mailsoftly.teams.services import workspace_create
from mailsoftly.tracking import recorder
from mailsoftly.tracking.models import Event
from mailsoftly.tracking.services import events_ingest
from tests.tracking.test_drain_batches import _batch, _send


@pytest.fixture(autouse=True)
def _empty_stream():
    recorder._client.cache_clear()
    client = recorder._client()
    if client is not None:
        client.delete(recorder.STREAM)
    yield
    if client is not None:
        client.delete(recorder.STREAM)
    recorder._client.cache_clear()


@pytest.fixture
def two_shops(user, workspace, django_capture_on_commit_callbacks):
    """A workspace about to move and another one, each with a sent campaign's events."""
    other = workspace_create(owner=user, name="Staying shop")
    moving_campaign, moving_deliveries = _send(workspace, 2, django_capture_on_commit_callbacks)
    staying_campaign, staying_deliveries = _send(
        other, 2, django_capture_on_commit_callbacks, domain="other.example"
    )
    moving = _batch(moving_campaign, moving_deliveries)
    staying = _batch(staying_campaign, staying_deliveries)
    mixed = [e for pair in zip(moving, staying, strict=False) for e in pair]
    mixed += moving[len(staying) :] + staying[len(moving) :]
    move = RegionMove.objects.create(
        workspace=workspace, source="us", target="eu", state=MoveState.COPYING
    )
    return {"move": move, "other": other, "moving": moving, "staying": staying, "mixed": mixed}


def _finish(move):
    # The move gave up: the workspace is writable again, in its old region.
    RegionMove.objects.filter(pk=move.pk).update(state=MoveState.ROLLED_BACK)


def test_a_batch_stores_the_other_workspaces_events_and_holds_the_moving_ones(workspace, two_shops):
    held: set[str] = set()
    stored = events_ingest(events=two_shops["mixed"], held=held)

    assert stored == len(two_shops["staying"])
    assert held == {e["key"] for e in two_shops["moving"]}
    assert Event.objects.for_workspace(two_shops["other"]).count() == len(two_shops["staying"])
    assert Event.objects.for_workspace(workspace).count() == 0

    _finish(two_shops["move"])
    again: set[str] = set()
    assert events_ingest(events=two_shops["mixed"], held=again) == len(two_shops["moving"])
    assert again == set()
    assert Event.objects.for_workspace(workspace).count() == len(two_shops["moving"])


def test_without_a_holding_place_the_moving_workspaces_events_are_refused(workspace, two_shops):
    with pytest.raises(WorkspaceReadOnly):
        events_ingest(events=two_shops["mixed"])
    # The other workspace's events were stored before the refusal.
    assert Event.objects.for_workspace(two_shops["other"]).count() == len(two_shops["staying"])
    assert Event.objects.for_workspace(workspace).count() == 0


@pytest.mark.integration
def test_the_drain_acknowledges_the_others_and_leaves_the_moving_workspaces_pending(
    redis_url, workspace, two_shops
):
    import json

    client = recorder._client()
    for event in two_shops["mixed"]:
        client.xadd(recorder.STREAM, {"e": json.dumps(event)})

    assert recorder.drain(consumer="worker", claim_idle_ms=0) == len(two_shops["staying"])
    assert Event.objects.for_workspace(two_shops["other"]).count() == len(two_shops["staying"])
    assert Event.objects.for_workspace(workspace).count() == 0
    assert client.xlen(recorder.STREAM) == len(two_shops["moving"])

    _finish(two_shops["move"])
    assert recorder.drain(consumer="worker", claim_idle_ms=0) == len(two_shops["moving"])
    assert Event.objects.for_workspace(workspace).count() == len(two_shops["moving"])
    assert client.xlen(recorder.STREAM) == 0
