"""Load the open and click endpoints the way production serves them, and find the ceiling.

Production style: granian (WSGI, 2 workers) on PostgreSQL + Redis, the event stream
drained after the load. Each hit is spooled by its web process and shipped to the stream
in batches (mailsoftly.tracking.spool); stopping the server leaves its last spooled hits
to the drain, which ships them first, so the count of events stored after the drain also
checks that path. wrk (Debian package) drives each endpoint on loopback for
DURATION seconds; a bare WSGI app returning the same GIF on the same server is the
ceiling. Bounded: fixed duration per run, loopback only.

Needs: PostgreSQL and Redis running (defaults: 127.0.0.1), wrk on PATH.
Run:   .venv/bin/python benchmarks/tracking.py [--duration 20] [--deliveries 100000]
       [--report-deliveries 1000000 --report-events 5000000] [--report-only]
       (--report-deliveries 0 skips the big report campaign, whose seeding takes minutes)
Last line of output: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mailsoftly_bench")
WARM_UP_S = 3
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def serve(app: str, port: int, env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ws",
            "--log-level",
            "error",
            app,
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


LUA = """
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def wrk(port: int, paths_file: str, duration: int, lua: str) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c50",
            f"-d{duration}s",
            "--latency",
            "-s",
            lua,
            f"http://127.0.0.1:{port}/",
            "--",
            paths_file,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "requests": total,
        "p99_ms": float(p99.group(1)) * scale,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def report_time(campaign) -> float:
    """Server time of the report page and its live fragment (in-process, median of 5)."""
    from django.test import Client

    from mailsoftly.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    timings = []
    for path in (f"/campaigns/{campaign.pk}/report/", f"/campaigns/{campaign.pk}/report/figures/"):
        assert client.get(path).status_code == 200  # warm
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            assert client.get(path).status_code == 200
            runs.append((time.perf_counter() - t) * 1000)
        timings.append(sorted(runs)[2])
    return round(timings[0], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    # Enough deliveries that random opens from one address rarely reach the flood cap
    # (20 an hour per delivery and address) at ~35,000 opens/s.
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--report-deliveries", type=int, default=1_000_000)
    parser.add_argument("--report-events", type=int, default=5_000_000)
    parser.add_argument(
        "--report-only", action="store_true", help="seed the big campaign and time its report"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    var = Path(tempfile.mkdtemp(prefix="mailsoftly-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": PG,
        "DATABASE_URL_EU": PG + "_eu",
        "REDIS_URL": REDIS,
        "MAILSOFTLY_VAR_DIR": str(var),
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings",
    }
    for name in (PG.rsplit("/", 1)[1], PG.rsplit("/", 1)[1] + "_eu"):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"],
            check=True,
        )
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True,
        )
    for alias in ("default", "eu"):
        subprocess.run(
            [sys.executable, "-m", "mailsoftly", "manage", "migrate", "--database", alias, "-v0"],
            env=env,
            check=True,
        )
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from benchmarks._tracking_seed import seed, seed_big_report
    from mailsoftly.tracking import recorder
    from mailsoftly.tracking.models import Event

    open_paths, click_paths, campaign = seed(args.deliveries)
    big = None
    if args.report_deliveries:
        print(
            f"seeding {args.report_deliveries:,} deliveries and {args.report_events:,} events",
            flush=True,
        )
        big, seed_s = seed_big_report(
            workspace=campaign.workspace,
            deliveries=args.report_deliveries,
            events=args.report_events,
        )
        print(f"seeded in {seed_s:.0f} s", flush=True)
    if args.report_only:
        figures = {"report_ms": report_time(big or campaign), "load_average": load_average()}
        print(f"report page: {figures['report_ms']} ms median of 5 (target < 200 ms)")
        print(json.dumps(figures))
        return
    recorder._client().flushdb()
    files = {}
    for name, paths in (
        ("open", open_paths),
        ("click", click_paths),
        ("ceiling", ["/o/x.gif"]),
        ("django", ["/healthz"]),
    ):
        files[name] = str(var / f"{name}.txt")
        Path(files[name]).write_text("\n".join(paths) + "\n")
    lua = str(var / "paths.lua")
    Path(lua).write_text(LUA)
    connection.close()

    results = {}
    port = free_port()
    server = serve("mailsoftly.config.wsgi:application", port, env, ROOT)
    try:
        wait_port(port)
        # Warm both servers alike first (granian starts its threads, Python its imports);
        # the warm-up's hits are recorded too, so they count as requests sent.
        warm = [wrk(port, files[name], WARM_UP_S, lua) for name in ("open", "click")]
        results["open"] = wrk(port, files["open"], args.duration, lua)
        results["click"] = wrk(port, files["click"], args.duration, lua)
        # A second reference: the project's smallest Django view behind its middleware.
        results["django"] = wrk(port, files["django"], args.duration, lua)
    finally:
        server.terminate()
        server.wait(timeout=30)
    port = free_port()
    ceiling = serve("_ceiling_app:application", port, env, ROOT / "benchmarks")
    try:
        wait_port(port)
        wrk(port, files["ceiling"], WARM_UP_S, lua)
        results["ceiling"] = wrk(port, files["ceiling"], args.duration, lua)
    finally:
        ceiling.terminate()
        ceiling.wait(timeout=30)

    started = time.perf_counter()
    while recorder.drain(consumer="bench", claim_idle_ms=0, batch=2000):
        pass
    drain_s = time.perf_counter() - started
    sent = sum(r["requests"] for r in (results["open"], results["click"], *warm))
    # Opens past the flood cap of one (delivery, address) are refused by design, not lost:
    # the cap's counters say how many there were.
    from mailsoftly.tracking.hits import OPENS_PER_DELIVERY_AND_IP_PER_HOUR as cap

    redis_client = recorder._client()
    capped = sum(
        max(0, int(redis_client.get(key) or 0) - cap)
        for key in redis_client.scan_iter(match="trk:o:*", count=1000)
    )
    stored = Event.objects.dangerously_all_workspaces("us").filter(campaign_id=campaign.pk).count()

    report_ms = report_time(big or campaign)

    ceiling_rps = results["ceiling"]["rps"]
    figures = {
        "opens_per_s": round(results["open"]["rps"]),
        "clicks_per_s": round(results["click"]["rps"]),
        "ceiling_per_s": round(ceiling_rps),
        "ratio": round(min(results["open"]["rps"], results["click"]["rps"]) / ceiling_rps, 2),
        "django_view_per_s": round(results["django"]["rps"]),
        "p99_ms": round(max(results["open"]["p99_ms"], results["click"]["p99_ms"]), 1),
        "events_lost": max(0, sent - capped - stored),
        "capped_opens": capped,
        "report_ms": report_ms,
        "report_deliveries": (big or campaign).sent_count,
        "load_average": load_average(),
        "drain_s": round(drain_s, 1),
        "drain_events_per_s": round(stored / drain_s) if drain_s else None,
        "requests": sent,
    }
    print(f"opens  {figures['opens_per_s']:>8}/s   p99 {results['open']['p99_ms']:.1f} ms")
    print(f"clicks {figures['clicks_per_s']:>8}/s   p99 {results['click']['p99_ms']:.1f} ms")
    print(f"ceiling {figures['ceiling_per_s']:>7}/s   ratio {figures['ratio']} (target >= 0.5)")
    print(f"django view (/healthz) {figures['django_view_per_s']}/s")
    print(
        f"events: {sent} requests, {capped} opens over the flood cap, {stored} stored, "
        f"lost {figures['events_lost']} (target 0); drained in {drain_s:.1f}s"
    )
    print(f"report page: {report_ms} ms median of 5 (target < 200 ms)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
