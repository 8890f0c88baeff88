"""The spool between the open/click endpoints and the Redis stream loses nothing."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailsoftly.tracking import hits, recorder, spool, tokens
from mailsoftly.tracking.models import CampaignStats, Event

HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0"

# A web process that answers three opens, then hangs before its spool is shipped.
_WEB_PROCESS = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from mailsoftly.tracking import hits, spool
    spool.SHIP_EVERY_S = 3600  # the shipping thread never gets to it
    for token in sys.argv[1:]:
        hits.open_hit(token, ip="198.51.100.7", user_agent="Mozilla/5.0 <script>x</script>")
    print(spool._spool.path, flush=True)
    time.sleep(3600)
    """
)


@pytest.mark.integration
def test_hits_of_a_killed_web_process_are_shipped_by_the_next_drain(
    redis_url, sent_campaign, deliveries, settings
):
    opens = [tokens.open_token(region="us", delivery_id=d.pk) for d in deliveries]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings",
        "MAILSOFTLY_VAR_DIR": str(settings.VAR_DIR),
    }
    web = subprocess.Popen(
        [sys.executable, "-c", _WEB_PROCESS, *opens], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        path = Path(web.stdout.readline().strip())
    finally:
        web.send_signal(signal.SIGKILL)
        web.wait(timeout=30)
    spooled = path.read_text().splitlines()
    assert len(spooled) == 3
    assert recorder._client().xlen(recorder.STREAM) == 0  # nothing shipped before the kill

    assert recorder.drain(consumer="worker", claim_idle_ms=0) == 3
    assert not path.exists()
    stored = Event.objects.for_workspace(sent_campaign.workspace)
    assert sorted(stored.values_list("delivery_id", flat=True)) == sorted(d.pk for d in deliveries)
    assert CampaignStats.objects.for_workspace(sent_campaign.workspace).get().unique_opens == 3
    # Shipping the same lines again (a process killed after shipping) stores nothing twice.
    spool._ship(("\n".join(spooled) + "\n").encode())
    recorder.drain(consumer="worker", claim_idle_ms=0)
    assert stored.count() == 3


@pytest.mark.integration
def test_the_spool_moves_to_a_new_file_once_shipped_and_loses_nothing(
    redis_url, sent_campaign, deliveries, monkeypatch
):
    monkeypatch.setattr(spool, "ROTATE_BYTES", 2_000)
    files = set()
    for n in range(30):
        spool.append(
            {"kind": "open", "region": "us", "delivery_id": deliveries[n % 3].pk, "ua": "x" * 100},
            cap_key="",
        )
        files.add(spool._spool.path)
        if n % 10 == 9:
            spool.flush()
    assert len(files) >= 3  # it rotated
    current = spool._spool.path
    assert current.exists() and not any(p.exists() for p in files - {current})
    entries = recorder._client().xrange(recorder.STREAM)
    keys = [json.loads(fields[b"e"])["key"] for _, fields in entries]
    assert len(keys) == 30 and len(set(keys)) == 30


@pytest.mark.integration
def test_the_open_cap_applies_to_spooled_opens(redis_url, sent_campaign, deliveries):
    token = tokens.open_token(region="us", delivery_id=deliveries[0].pk)
    for _ in range(hits.OPENS_PER_DELIVERY_AND_IP_PER_HOUR + 5):
        hits.open_hit(token, ip="203.0.113.9", user_agent=HUMAN_UA)
    hits.open_hit(token, ip="203.0.113.10", user_agent=HUMAN_UA)
    spool.flush()
    assert recorder._client().xlen(recorder.STREAM) == hits.OPENS_PER_DELIVERY_AND_IP_PER_HOUR + 1


@pytest.mark.integration
def test_with_the_stream_down_spooled_events_are_written_directly(
    redis_url, sent_campaign, deliveries, monkeypatch
):
    hits.open_hit(
        tokens.open_token(region="us", delivery_id=deliveries[0].pk),
        ip=None,
        user_agent=HUMAN_UA,
    )

    def down(client):
        def call(**kwargs):
            import redis

            raise redis.ConnectionError("down")

        return call

    monkeypatch.setattr(spool, "_script", down)
    spool.flush()
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


def test_without_redis_nothing_is_spooled(sent_campaign, deliveries, monkeypatch):
    monkeypatch.setattr(recorder, "_client", lambda: None)
    appended = []
    monkeypatch.setattr(spool, "append", lambda *a, **k: appended.append(a))
    hits.open_hit(
        tokens.open_token(region="us", delivery_id=deliveries[0].pk), ip=None, user_agent=""
    )
    assert appended == []
    assert Event.objects.for_workspace(sent_campaign.workspace).count() == 1


@pytest.mark.integration
def test_an_orphan_is_shipped_from_where_its_process_got_to(
    redis_url, sent_campaign, deliveries, settings
):
    folder = spool.directory()
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"\t{json.dumps({'key': f'orphan.{n}', 'kind': 'open', 'region': 'us'})}\n".encode()
        for n in range(3)
    ]
    orphan = folder / "0123456789abcdef0123456789abcdef.spool"
    orphan.write_bytes(b"".join(lines))
    orphan.with_suffix(".off").write_bytes(b"%20d" % len(lines[0]))
    assert spool.ship_orphans() == 1
    entries = recorder._client().xrange(recorder.STREAM)
    assert [json.loads(fields[b"e"])["key"] for _, fields in entries] == ["orphan.1", "orphan.2"]
    assert not orphan.exists() and not orphan.with_suffix(".off").exists()
