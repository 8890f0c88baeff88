"""The address and agent of a hit reach the spool, the stream and the database only when
the email collects them; the machine verdict is taken at hit time either way (P37)."""

import json

import pytest

from mailsoftly.designs.models import Design
from mailsoftly.tracking import hits, machines, recorder, spool, tokens
from mailsoftly.tracking.models import Event
from mailsoftly.tracking.services import events_ingest, link_get_or_create
from mailsoftly.tracking.tagging import Tracker

APPLE_IP = "17.58.1.1"
APPLE_UA = "Mozilla/5.0"
PERSON_IP = "198.51.100.7"
PERSON_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0 p37-marker"


def _spool_mark():
    path = spool._spool.path
    return path, (path.stat().st_size if path is not None and path.exists() else 0)


def _spooled_since(mark) -> str:
    """This process's spool lines written after ``mark`` (the file outlives one test)."""
    path, size = mark
    now = spool._spool.path
    with open(now, "rb") as spooled:
        spooled.seek(size if now == path else 0)
        return spooled.read().decode()


def _stream_text() -> str:
    entries = recorder._client().xrange(recorder.STREAM)
    return "\n".join(fields[b"e"].decode() for _, fields in entries)


def _redis_keys() -> str:
    return " ".join(key.decode() for key in recorder._client().keys("trk:*"))


@pytest.mark.integration
@pytest.mark.policy("P37")
@pytest.mark.parametrize("collect", [False, True])
def test_spool_line_and_stream_entry_hold_ip_and_agent_only_with_the_opt_in(
    redis_url, sent_campaign, deliveries, collect
):
    Design.objects.for_workspace(sent_campaign.workspace).update(collect_ip_addresses=collect)
    apple, person = deliveries[0], deliveries[1]
    mark = _spool_mark()
    hits.open_hit(
        tokens.open_token(region="us", delivery_id=apple.pk, collect_ip=collect),
        ip=APPLE_IP,
        user_agent=APPLE_UA,
    )
    link = link_get_or_create(campaign=sent_campaign, url="https://shop.example/p")
    click = tokens.click_token(region="us", delivery_id=person.pk, link_id=link.pk)
    assert hits.click_hit(click, ip=PERSON_IP, user_agent=PERSON_UA) == "https://shop.example/p"

    spooled = _spooled_since(mark)
    assert len(spooled.splitlines()) == 2
    spool.flush()
    streamed = _stream_text()
    assert len(streamed.splitlines()) == 2
    for identity in (APPLE_IP, PERSON_IP, PERSON_UA):
        assert (identity in spooled) is collect, (identity, spooled)
        assert (identity in streamed) is collect, (identity, streamed)
        assert identity not in _redis_keys()  # the open cap counts a keyed hash
    apple_event = json.loads(streamed.splitlines()[0])
    assert apple_event["machine"] == "apple_mpp"
    assert ("ua" in apple_event) is collect

    recorder.drain(claim_idle_ms=0)
    stored = {e.kind: e for e in Event.objects.for_workspace(sent_campaign.workspace)}
    assert stored["open"].is_machine and stored["open"].machine_reason == "apple_mpp"
    assert stored["open"].ip == (APPLE_IP if collect else None)
    assert stored["click"].user_agent == (PERSON_UA if collect else "")


@pytest.mark.policy("P37")
@pytest.mark.parametrize("collect", [False, True])
def test_an_apple_proxy_open_is_a_machine_open_with_or_without_the_opt_in(
    sent_campaign, deliveries, collect
):
    Design.objects.for_workspace(sent_campaign.workspace).update(collect_ip_addresses=collect)
    token = tokens.open_token(region="us", delivery_id=deliveries[0].pk, collect_ip=collect)
    hits.open_hit(token, ip=APPLE_IP, user_agent="Mozilla/5.0 (Macintosh) AppleWebKit")
    recorder.drain(claim_idle_ms=0)
    event = Event.objects.for_workspace(sent_campaign.workspace).get()
    assert event.is_machine and event.machine_reason == "apple_mpp"
    assert event.ip == (APPLE_IP if collect else None)


def test_events_recorded_before_the_verdict_are_still_judged_by_address_and_agent(
    sent_campaign, deliveries
):
    old = {"kind": "open", "region": "us", "delivery_id": deliveries[0].pk}
    events_ingest(
        events=[
            recorder.new_event(**old, at="2026-11-25T10:00:00+00:00", ip=APPLE_IP, ua="x"),
            recorder.new_event(**old, at="2026-11-25T10:00:01+00:00", ip=PERSON_IP, ua="x"),
        ]
    )
    reasons = sorted(
        Event.objects.for_workspace(sent_campaign.workspace).values_list(
            "machine_reason", flat=True
        )
    )
    assert reasons == ["", "apple_mpp"]


def _open_target(campaign, delivery_id):
    url = Tracker(campaign=campaign).open_url(delivery_id)
    return tokens.read(url.rsplit("/", 1)[1].removesuffix(".gif"), kind="open")


def test_the_tracker_marks_open_tokens_of_emails_that_collect_ip_addresses(sent_campaign):
    assert _open_target(sent_campaign, 41) == tokens.Target("us", 41)
    Design.objects.for_workspace(sent_campaign.workspace).update(collect_ip_addresses=True)
    sent_campaign.design.refresh_from_db()
    assert _open_target(sent_campaign, 41) == tokens.Target("us", 41, collect_ip=True)


def test_the_collect_mark_cannot_be_added_to_a_token(settings):
    plain = tokens.open_token(region="us", delivery_id=7)
    body, _, signature = plain.rpartition(".")
    assert tokens.read(f"{body}.i.{signature}", kind="open") is None
    marked = tokens.open_token(region="us", delivery_id=7, collect_ip=True)
    assert tokens.read(marked, kind="open") == tokens.Target("us", 7, collect_ip=True)
    assert tokens.read(plain, kind="open") == tokens.Target("us", 7)


@pytest.mark.parametrize(
    ("ip", "inside"),
    [
        ("17.0.0.0", True),
        ("17.255.255.255", True),
        ("16.255.255.255", False),
        ("18.0.0.0", False),
        ("2620:149::1", True),
        ("2620:14a::", False),
        ("::1", False),
        ("999.1.1.1", False),
        ("not an ip", False),
        (None, False),
    ],
)
def test_apple_ranges(ip, inside):
    expected = "apple_mpp" if inside else ""
    assert machines.agent_reason(kind="open", ip=ip, user_agent=PERSON_UA) == expected


@pytest.mark.parametrize("agent", ["curl/8.4", "Barracuda LinkScanner", "GoogleBot/2.1"])
def test_tool_agents_are_machines_whatever_their_case(agent):
    assert machines.agent_reason(kind="click", ip=PERSON_IP, user_agent=agent) == "tool_agent"
    assert machines.agent_reason(kind="open", ip=PERSON_IP, user_agent=agent) == "tool_agent"
