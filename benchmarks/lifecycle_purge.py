"""Trash and purge throughput through the real lifecycle services, on a fresh SQLite pair.

Creates N export rows (each with one child download row) in one workspace, moves them all
to the trash with ``trash_move`` (one call, children included), travels 31 days ahead and
purges with ``trash_purge_due`` in batches of 500 until nothing is due, as the scheduled
task does. Prints rows/s for trash and purge and the peak RSS. Median of 3 runs.

Run: .venv/bin/python benchmarks/lifecycle_purge.py [N]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("BENCH_N") or (sys.argv[1] if len(sys.argv) > 1 else 20000))
RUNS = 3


def run_once() -> tuple[float, float]:
    from datetime import timedelta

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    from mailsoftly.accounts.models import User
    from mailsoftly.lifecycle.models import ExportDownload, ExportJob
    from mailsoftly.lifecycle.services import trash_move, trash_purge_due
    from mailsoftly.teams.services import workspace_create

    for alias in ("default", "eu"):
        call_command("migrate", database=alias, verbosity=0)
    user = User.objects.create(username=f"bench{time.monotonic_ns()}", email="b@example.com")
    workspace = workspace_create(owner=user, name="Bench")
    db = workspace.database
    jobs = ExportJob.objects.using(db).bulk_create(
        [ExportJob(workspace_id=workspace.pk, format="csv") for _ in range(N)], batch_size=2000
    )
    ExportDownload.objects.using(db).bulk_create(
        [ExportDownload(workspace_id=workspace.pk, export_id=job.pk) for job in jobs],
        batch_size=2000,
    )
    started = time.perf_counter()
    moved = trash_move(obj_or_queryset=ExportJob.objects.for_workspace(workspace), actor=user)
    trash_s = time.perf_counter() - started
    assert moved == N
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        started = time.perf_counter()
        while trash_purge_due(region="us", batch_size=500).more:
            pass
        purge_s = time.perf_counter() - started
    assert not ExportJob.all_rows.for_workspace(workspace).exists()
    return 2 * N / trash_s, 2 * N / purge_s


def main() -> None:
    trash_rates, purge_rates = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["MAILSOFTLY_VAR_DIR"] = tmp
            # Each run needs fresh settings pointing at the new directory.
            code = (
                "import django, os, json;"
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE','mailsoftly.config.settings');"
                "django.setup();"
                "import sys; sys.path.insert(0, 'benchmarks');"
                "import lifecycle_purge as b; print(json.dumps(b.run_once()))"
            )
            out = (
                subprocess.run(
                    [sys.executable, "-c", code],
                    env={**os.environ, "BENCH_N": str(N)},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            trash_rate, purge_rate = json.loads(out)
            trash_rates.append(trash_rate)
            purge_rates.append(purge_rate)
    print(f"rows (parents + children): {2 * N}")
    print(f"trash_move: {statistics.median(trash_rates):,.0f} rows/s (median of {RUNS})")
    print(f"purge:      {statistics.median(purge_rates):,.0f} rows/s (median of {RUNS})")
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of a run: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
