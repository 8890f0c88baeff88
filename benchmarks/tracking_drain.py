"""Drain throughput: tracking events from the Redis stream into PostgreSQL.

Seeds one sent campaign (PostgreSQL + Redis, fresh databases), appends N open and click
events to the stream in the fast path's format (one ``e`` field of JSON per entry), and
times ``recorder.drain`` until the stream is empty, as the Celery task does. The baseline
in the same run is the least any drain must do: one plain bulk INSERT of the same event
rows (Django ``bulk_create`` in batches of 2,000, in one transaction, then removed).
Afterwards the counters are checked against the events.

Needs: PostgreSQL and Redis running (defaults: 127.0.0.1).
Run:   .venv/bin/python benchmarks/tracking_drain.py [--events 100000] [--deliveries 20000]
       [--batch 2000]
Last line of output: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mailsoftly_bench_drain"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
HUMAN_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def setup_databases(env: dict) -> None:
    for name in (PG.rsplit("/", 1)[1], PG.rsplit("/", 1)[1] + "_eu"):
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    for alias in ("default", "eu"):
        subprocess.run(
            [sys.executable, "-m", "mailsoftly", "manage", "migrate", "--database", alias, "-v0"],
            env=env,
            check=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=None, help="drain batch (default: drain's)")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": PG,
        "DATABASE_URL_EU": PG + "_eu",
        "REDIS_URL": REDIS,
        "MAILSOFTLY_VAR_DIR": tempfile.mkdtemp(prefix="mailsoftly-bench-"),
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings",
    }
    setup_databases(env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import transaction

    from benchmarks._tracking_seed import seed
    from mailsoftly.campaigns.models import Delivery
    from mailsoftly.core import clock
    from mailsoftly.tracking import recorder
    from mailsoftly.tracking.models import CampaignStats, Event, Link

    _, _, campaign = seed(args.deliveries)
    ws = campaign.workspace
    delivery_ids = list(
        Delivery.objects.for_workspace(ws).filter(campaign=campaign).values_list("pk", flat=True)
    )
    link_ids = list(Link.objects.for_workspace(ws).values_list("pk", flat=True))
    rng = random.Random(8)
    now = clock.now().isoformat()
    events = []
    for n in range(args.events):
        delivery_id = rng.choice(delivery_ids)
        fields = {"ip": f"203.0.113.{n % 250 + 1}", "ua": HUMAN_UA, "at": now}
        if n % 5 < 3:
            events.append(
                recorder.new_event(kind="open", region="us", delivery_id=delivery_id, **fields)
            )
        else:
            link_id = link_ids[delivery_id % len(link_ids)]
            events.append(
                recorder.new_event(
                    kind="click", region="us", delivery_id=delivery_id, link_id=link_id, **fields
                )
            )

    # Baseline: the same rows, one plain bulk INSERT, then removed again.
    rows = [
        Event(
            workspace_id=ws.pk,
            key="b" + e["key"][1:],
            kind=e["kind"],
            campaign_id=campaign.pk,
            delivery_id=e["delivery_id"],
            link_id=e.get("link_id"),
            occurred_at=clock.now(),
            ip=e["ip"],
            user_agent=e["ua"],
        )
        for e in events
    ]
    started = time.perf_counter()
    with transaction.atomic(using=ws.database):
        Event.objects.for_workspace(ws).bulk_create(rows, batch_size=2000)
    insert_s = time.perf_counter() - started
    Event.objects.for_workspace(ws).delete()

    client = recorder._client()
    client.delete(recorder.STREAM)
    pipe = client.pipeline(transaction=False)
    for n, event in enumerate(events, 1):
        pipe.xadd(recorder.STREAM, {"e": json.dumps(event)})
        if n % 5000 == 0:
            pipe.execute()
    pipe.execute()
    assert client.xlen(recorder.STREAM) == args.events

    load_before = os.getloadavg()[0]
    kwargs = {"batch": args.batch} if args.batch else {}
    started = time.perf_counter()
    while recorder.drain(consumer="bench", claim_idle_ms=0, **kwargs) or client.xlen(
        recorder.STREAM
    ):
        pass
    drain_s = time.perf_counter() - started
    load_after = os.getloadavg()[0]

    stored = Event.objects.for_workspace(ws).count()
    stats = CampaignStats.objects.for_workspace(ws).get(campaign=campaign)
    opens = sum(1 for e in events if e["kind"] == "open")
    counted_opens = stats.opens + stats.machine_opens
    counted_clicks = stats.clicks + stats.machine_clicks
    figures = {
        "events": args.events,
        "stored": stored,
        "drain_s": round(drain_s, 2),
        "drain_per_s": round(args.events / drain_s),
        "insert_per_s": round(args.events / insert_s),
        "ratio": round(insert_s / drain_s, 2),
        "counters_exact": counted_opens == opens and counted_clicks == args.events - opens,
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
    }
    print(
        f"drain: {args.events:,} events in {drain_s:.1f} s = {figures['drain_per_s']:,} events/s; "
        f"plain bulk INSERT {figures['insert_per_s']:,} rows/s; ratio {figures['ratio']}; "
        f"stored {stored:,}; counters exact: {figures['counters_exact']}; "
        f"load average {load_before:.2f} -> {load_after:.2f}"
    )
    client.delete(recorder.STREAM)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
