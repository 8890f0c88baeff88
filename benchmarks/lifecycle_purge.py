"""Trash and purge throughput through the real lifecycle services, on a fresh SQLite pair.

Creates N export rows (each with one child download row) in one workspace, moves them all
to the trash with ``trash_move`` (one call, children included), travels 31 days ahead and
purges with ``trash_purge_due`` in batches of 500 until nothing is due, as the scheduled
task does. Prints rows/s for trash and purge and the peak RSS. Median of 3 runs.

Run: .venv/bin/python benchmarks/lifecycle_purge.py [N]

``--export [N] [FORMAT…]`` measures the other half of the lifecycle issue instead: an
export (``export_run``, the background task's service) of a workspace holding N contacts
(default 1,000,000), one fresh process per format. It prints the time and the process's
peak RSS and compares the peak with the issue's ceiling of 300 MB. The contacts are
inserted in batches, so the peak belongs to the export.
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

_ARG = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].isdigit() else ""
N = int(os.environ.get("BENCH_N") or _ARG or 20000)
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


EXPORT_CEILING_MB = 300


def export_once(fmt: str) -> dict:
    """Export ``N`` contacts in ``fmt``; returns seconds, rows/s, RSS before and peak (MB)."""
    import hashlib

    from django.core.management import call_command

    from mailsoftly.accounts.models import User
    from mailsoftly.contacts.models import Contact
    from mailsoftly.lifecycle.models import ExportJob, ExportStatus
    from mailsoftly.lifecycle.services import export_run
    from mailsoftly.teams.services import workspace_create

    for alias in ("default", "eu"):
        call_command("migrate", database=alias, verbosity=0)
    user = User.objects.create(username=f"bench{time.monotonic_ns()}", email="b@example.com")
    workspace = workspace_create(owner=user, name="Bench")
    contacts = Contact.objects.for_workspace(workspace)
    for start in range(0, N, 5000):
        batch = []
        for i in range(start, min(N, start + 5000)):
            key = f"person{i}@example.org"
            batch.append(
                Contact(
                    workspace_id=workspace.pk,
                    email=key,
                    email_key=key,
                    email_hash=hashlib.sha256(key.encode()).hexdigest(),
                    first_name=f"First{i}",
                    last_name="Last",
                    fields={"city": "Berlin", "score": i % 100},
                )
            )
        contacts.bulk_create(batch)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job = ExportJob.objects.for_workspace(workspace).create(workspace=workspace, format=fmt)
    started = time.perf_counter()
    job = export_run(export_id=job.pk, region=workspace.region)
    seconds = time.perf_counter() - started
    assert job.status == ExportStatus.DONE, job.error
    return {
        "seconds": seconds,
        "rows_per_s": N / seconds,
        "rss_before_mb": before,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "file_mb": job.file.size / 1024 / 1024,
    }


def _child(call: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import django, os, json;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE','mailsoftly.config.settings');"
            "django.setup();"
            "import sys; sys.path.insert(0, 'benchmarks');"
            f"import lifecycle_purge as b; print(json.dumps({call}))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "MAILSOFTLY_VAR_DIR": tmp, "BENCH_N": str(N)},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]


def main_export(formats: list[str]) -> None:
    print(f"contacts: {N:,}; load average: {os.getloadavg()[0]:.2f}")
    worst = 0.0
    for fmt in formats:
        figures = json.loads(_child(f"b.export_once({fmt!r})"))
        worst = max(worst, figures["peak_mb"])
        print(
            f"{fmt:>5}: {figures['seconds']:.1f} s ({figures['rows_per_s']:,.0f} contacts/s), "
            f"file {figures['file_mb']:.0f} MB, RSS before {figures['rss_before_mb']:.0f} MB, "
            f"peak {figures['peak_mb']:.0f} MB"
        )
    verdict = "within" if worst < EXPORT_CEILING_MB else "OVER"
    print(f"peak RSS {worst:.0f} MB: {verdict} the {EXPORT_CEILING_MB} MB ceiling")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


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
    if "--export" in sys.argv:
        args = [a for a in sys.argv[1:] if a != "--export"]
        if args and args[0].isdigit():
            N = int(args.pop(0))
        else:
            N = int(os.environ.get("BENCH_N") or 1_000_000)
        main_export(args or ["csv", "json"])
    else:
        main()
