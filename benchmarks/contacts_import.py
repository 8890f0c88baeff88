"""Contact import through the real import path, on SQLite and PostgreSQL.

Generates a CSV (email, first and last name, 3 custom fields, tags), then for each database
runs a fresh worker process that migrates an empty database, uploads the file through
``contact_import_upload`` and runs the import task (``contact_import_run``: streaming reader,
email-validator, in-file dedupe, batched writes with consent records and tags). It prints
rows/s and the worker's peak RSS. On PostgreSQL it also loads the same file with plain COPY
into a bare table in the same run and reports import rate / COPY rate. It then times a
segment count over all imported contacts and two searches of the contacts page (medians
of 5), and one API bulk upsert of 10,000 new contacts through the real request path.

Run: .venv/bin/python benchmarks/contacts_import.py [--rows N] [--db sqlite,pg]
PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432); databases
``mailsoftly_bench_contacts`` and ``..._eu`` are (re)created. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
# PG_BENCH_DB: another database name, so two runs at once do not drop each other's.
PG_DB = os.environ.get("PG_BENCH_DB", "mailsoftly_bench_contacts")
CITIES = ["Berlin", "Paris", "Lisbon", "Austin", "Osaka", "Lagos", "Lima", "Oslo"]
TAGS = ["vip", "beta", "newsletter", "customer", ""]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Email Address", "First Name", "Last Name", "City", "Age", "Joined", "TAGS"]
        )
        for i in range(rows):
            writer.writerow(
                [
                    f"person.{i}@example{i % 97}.org",
                    f"First{i % 1000}",
                    f"Last{i % 5000}",
                    CITIES[i % len(CITIES)],
                    str(18 + i % 70),
                    f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
                    rng.choice(TAGS),
                ]
            )


def _pg_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        for name in (PG_DB, f"{PG_DB}_eu"):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def _unlimited(workspace) -> None:
    """An operator plan without limits: a million contacts is past every offered plan."""
    from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus
    from mailsoftly.billing.selectors import plan_list

    plan_list()  # seeds the default plans
    plan, _created = Plan.objects.get_or_create(
        code="bench-unlimited",
        defaults={"name": "Unlimited (benchmark)", "position": 1000, "active": False},
    )
    Plan.objects.filter(pk=plan.pk).update(
        contacts_limit=None, emails_month_limit=None, api_access=True
    )
    Subscription.objects.update_or_create(
        workspace=workspace, defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE}
    )


def _bulk_api(workspace, owner) -> float:
    """Seconds for POST /api/v1/contacts/bulk with 10,000 new contacts (real request path)."""
    from django.test import Client

    from mailsoftly.api.services import ALL_SCOPES, api_key_create

    _key, token = api_key_create(
        workspace=workspace, user=owner, name="Bench", scopes=list(ALL_SCOPES)
    )
    items = [{"email": f"bulk.{i}@example.net", "first_name": f"B{i}"} for i in range(10_000)]
    client = Client()
    started = time.perf_counter()
    response = client.post(
        "/api/v1/contacts/bulk",
        json.dumps({"items": items}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or response.json()["created"] != 10_000:
        raise SystemExit(f"bulk API: {response.status_code} {response.content[:300]!r}")
    return elapsed


def _backend_cpu_s(connection) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend serving ``connection`` (Linux, the
    server on this machine): with the worker's own CPU time this says what an import costs
    whatever the neighbours on a shared machine are doing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(backend: str, csv_path: Path, rows: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailsoftly.config.settings")
    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connections

    from mailsoftly.accounts.models import User
    from mailsoftly.config.celery import app
    from mailsoftly.contacts import imports, selectors, services
    from mailsoftly.contacts.models import Contact, ImportStatus
    from mailsoftly.teams.services import workspace_create

    app.conf.task_always_eager = True
    for alias in ("default", "eu"):
        call_command("migrate", database=alias, verbosity=0)
    owner = User.objects.create_user(username="bench", email="bench@example.com")
    workspace = workspace_create(owner=owner, name="Bench")
    _unlimited(workspace)
    services.custom_field_create(workspace=workspace, key="city", label="City", field_type="text")
    services.custom_field_create(workspace=workspace, key="age", label="Age", field_type="number")
    services.custom_field_create(
        workspace=workspace, key="joined", label="Joined", field_type="date"
    )
    contact_list = services.contact_list_create(workspace=workspace, name="Everyone")
    with csv_path.open("rb") as handle:
        job = imports.contact_import_upload(
            workspace=workspace, uploaded_file=File(handle, name=csv_path.name)
        )
    mapping = {
        "0": "email",
        "1": "first_name",
        "2": "last_name",
        "3": "field:city",
        "4": "field:age",
        "5": "field:joined",
        "6": "tags",
    }
    db_connection = connections[workspace.database]
    backend_cpu = _backend_cpu_s(db_connection) if backend == "pg" else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    imports.contact_import_start(
        contact_import=job,
        mapping=mapping,
        mode="add",
        contact_list=contact_list,
        consent_text="Benchmark consent",
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if backend_cpu is not None:
        backend_cpu = _backend_cpu_s(db_connection) - backend_cpu
    job.refresh_from_db()
    if job.status != ImportStatus.DONE or job.created_count != rows:
        raise SystemExit(
            f"{backend}: import ended {job.status} with {job.created_count} rows: {job.file_error}"
        )
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "backend": backend,
        "rows_per_s": rows / elapsed,
        "seconds": elapsed,
        # The worker's own CPU time: on a shared, loaded machine wall-clock rates mostly
        # measure the neighbours; rows per worker CPU-second do not.
        "rows_per_cpu_s": rows / cpu,
        "peak_rss_mb": peak_rss_mb,
    }
    if backend_cpu:
        # The database's own CPU per row, and the rate the two processes would reach on two
        # otherwise idle cores (each on its own core; the slower one sets the pace).
        result["rows_per_db_cpu_s"] = rows / backend_cpu
        result["rows_per_s_idle_estimate"] = rows / max(cpu, backend_cpu)
    rules = {
        "match": "all",
        "conditions": [
            {"field": "field:city", "op": "eq", "value": "Berlin"},
            {"field": "field:age", "op": "gte", "value": 40},
            {"field": "list", "op": "in", "value": contact_list.pk},
        ],
    }
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        count = selectors.segment_count(workspace=workspace, rules=rules)
        timings.append(time.perf_counter() - started)
    result["segment_count_ms"] = statistics.median(timings) * 1000
    result["segment_matches"] = count
    result["contacts"] = Contact.objects.for_workspace(workspace).count()
    for name, term in (("search_email_ms", f"person.{rows // 2}@"), ("search_name_ms", "last4321")):
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            found = list(selectors.contact_list(workspace=workspace, search=term)[:50])
            timings.append(time.perf_counter() - started)
        if not found:
            raise SystemExit(f"{backend}: search for {term!r} found nothing")
        result[name] = statistics.median(timings) * 1000
    result["bulk_api_10k_s"] = _bulk_api(workspace, owner)
    if backend == "pg":
        with connections["default"].cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(
                "CREATE TABLE bench_copy (email text, first_name text, last_name text,"
                " city text, age text, joined text, tags text)"
            )
            raw = cursor.cursor
            started = time.perf_counter()
            with (
                raw.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                csv_path.open("rb") as handle,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            result["copy_rows_per_s"] = rows / (time.perf_counter() - started)
            result["copy_client_cpu_s"] = time.process_time() - cpu_started
            cursor.execute("DROP TABLE bench_copy")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,pg")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.csv), args.rows)), flush=True)
        return
    figures: dict[str, float | int] = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        generate(csv_path, args.rows)
        print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB)", flush=True)
        for backend in args.db.split(","):
            env = dict(os.environ, MAILSOFTLY_VAR_DIR=str(Path(tmp) / f"var-{backend}"))
            env.pop("DATABASE_URL_EU", None)
            if backend == "pg":
                _pg_recreate()
                env["DATABASE_URL"] = f"{PG_URL}/{PG_DB}"
                env["DATABASE_URL_EU"] = f"{PG_URL}/{PG_DB}_eu"
            else:
                env.pop("DATABASE_URL", None)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    backend,
                    "--csv",
                    str(csv_path),
                    "--rows",
                    str(args.rows),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{backend} worker failed")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{backend}: {result['rows_per_s']:,.0f} rows/s ({result['seconds']:.1f} s; "
                f"{result['rows_per_cpu_s']:,.0f} rows per worker CPU-second), "
                f"peak RSS {result['peak_rss_mb']:.0f} MB, segment count "
                f"{result['segment_count_ms']:.0f} ms over {result['contacts']:,} contacts, "
                f"search {result['search_email_ms']:.1f} ms (address) / "
                f"{result['search_name_ms']:.1f} ms (name), "
                f"API bulk upsert of 10,000 new contacts {result['bulk_api_10k_s']:.2f} s",
                flush=True,
            )
            if "rows_per_db_cpu_s" in result:
                print(
                    f"{backend}: {result['rows_per_db_cpu_s']:,.0f} rows per database CPU-second;"
                    f" on two idle cores about {result['rows_per_s_idle_estimate']:,.0f} rows/s",
                    flush=True,
                )
            if "copy_rows_per_s" in result:
                print(
                    f"{backend}: plain COPY of the same file {result['copy_rows_per_s']:,.0f}"
                    f" rows/s; import / COPY = {result['rows_per_s'] / result['copy_rows_per_s']:.3f}"
                    " (target 0.5)",
                    flush=True,
                )
            prefix = "pg" if backend == "pg" else "sqlite"
            figures[f"{prefix}_rows_per_s"] = round(result["rows_per_s"])
            figures[f"{prefix}_rows_per_cpu_s"] = round(result["rows_per_cpu_s"])
            figures[f"{prefix}_peak_rss_mb"] = round(result["peak_rss_mb"])
            figures[f"{prefix}_segment_count_ms"] = round(result["segment_count_ms"], 1)
            figures[f"{prefix}_search_email_ms"] = round(result["search_email_ms"], 1)
            figures[f"{prefix}_search_name_ms"] = round(result["search_name_ms"], 1)
            figures[f"{prefix}_bulk_api_10k_s"] = round(result["bulk_api_10k_s"], 2)
            if "rows_per_db_cpu_s" in result:
                figures["pg_rows_per_db_cpu_s"] = round(result["rows_per_db_cpu_s"])
                figures["pg_rows_per_s_idle_estimate"] = round(result["rows_per_s_idle_estimate"])
            if "copy_rows_per_s" in result:
                figures["pg_copy_rows_per_s"] = round(result["copy_rows_per_s"])
                figures["pg_import_to_copy_ratio"] = round(
                    result["rows_per_s"] / result["copy_rows_per_s"], 3
                )
        figures["peak_rss_mb"] = max(v for k, v in figures.items() if k.endswith("_peak_rss_mb"))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
