"""Residency costs on a fresh SQLite pair: the read-only check on saves, and a region move.

1. Saves ``N_SAVES`` contacts one by one with the residency guards as shipped, and again
   with the region-move read-only check switched off (the baseline, same run): prints
   saves/s for both and the check's cost per save.
2. Times ``workspace.database`` (routing by the directory's current region) against the
   instance's own region.
3. Moves a workspace of ``N_ROWS`` contacts (each in a list) from US to EU with
   ``region_move_run`` (copy, verify, switch, purge) and prints rows/s.

Run: .venv/bin/python benchmarks/region_move.py [N_ROWS]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

N_ROWS = int(os.environ.get("BENCH_N") or (sys.argv[1] if len(sys.argv) > 1 else 20000))
N_SAVES = 1000


def run_once() -> dict:
    from django.core.management import call_command

    from mailsoftly.accounts.models import User
    from mailsoftly.contacts.models import Contact, ContactList, Subscription
    from mailsoftly.core import regions
    from mailsoftly.residency import services
    from mailsoftly.teams.services import workspace_create

    for alias in ("default", "eu"):
        call_command("migrate", database=alias, verbosity=0)
    user = User.objects.create(username=f"bench{time.monotonic_ns()}", email="b@example.com")
    workspace = workspace_create(owner=user, name="Bench")

    def saves(prefix: str) -> float:
        started = time.perf_counter()
        for n in range(N_SAVES):
            email = f"{prefix}{n}@example.com"
            Contact.objects.for_workspace(workspace).create(
                workspace=workspace, email=email, email_key=email
            )
        return N_SAVES / (time.perf_counter() - started)

    saves("w")  # warm-up: connections, statement caches, the SQLite page cache
    checkers = list(regions._read_only_checker)
    guarded_rates, baseline_rates = [], []
    for round_ in range(3):  # interleaved, so load changes hit both alike
        guarded_rates.append(saves(f"g{round_}-"))
        regions._read_only_checker.clear()
        baseline_rates.append(saves(f"b{round_}-"))
        regions._read_only_checker.extend(checkers)
    guarded, baseline = max(guarded_rates), max(baseline_rates)

    # Routing by the directory's current region (a Workspace may predate a move): the cost
    # of workspace.database (one indexed directory read) against the instance's own region.
    def per_call(fn) -> float:
        started = time.perf_counter()
        for _ in range(N_SAVES):
            fn()
        return (time.perf_counter() - started) / N_SAVES

    verified = min(per_call(lambda: workspace.database) for _ in range(3))
    trusted = min(per_call(lambda: regions.database_for(workspace.region)) for _ in range(3))

    db = workspace.database
    contact_list = ContactList.objects.for_workspace(workspace).create(
        workspace=workspace, name="All"
    )
    contacts = Contact.objects.using(db).bulk_create(
        [
            Contact(workspace=workspace, email=f"m{n}@example.com", email_key=f"m{n}@example.com")
            for n in range(N_ROWS)
        ],
        batch_size=2000,
    )
    Subscription.objects.using(db).bulk_create(
        [Subscription(workspace=workspace, contact=c, contact_list=contact_list) for c in contacts],
        batch_size=2000,
    )
    rows = Contact.all_rows.for_workspace(workspace).count() * 2 + 1
    started = time.perf_counter()
    move = services.region_move_request(workspace=workspace, target="eu")
    move = services.region_move_run(move_id=move.pk)
    move_s = time.perf_counter() - started
    assert move.state == "done", move.error
    return {
        "guarded": guarded,
        "baseline": baseline,
        "rows": rows,
        "move_s": move_s,
        "verified_ms": verified * 1000,
        "trusted_ms": trusted * 1000,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import django, os, json;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE','mailsoftly.config.settings');"
            "django.setup();"
            "import sys; sys.path.insert(0, 'benchmarks');"
            "import region_move as b; print(json.dumps(b.run_once()))"
        )
        env = {**os.environ, "MAILSOFTLY_VAR_DIR": tmp, "BENCH_N": str(N_ROWS)}
        for name in ("DATABASE_URL", "DATABASE_URL_EU", "REGIONS"):
            env.pop(name, None)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    guarded, baseline = result["guarded"], result["baseline"]
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"contact saves with the read-only check:    {guarded:,.0f}/s (best of 3)")
    print(f"contact saves without it (same run):       {baseline:,.0f}/s (best of 3)")
    print(f"cost of the check: {1000 * (1 / guarded - 1 / baseline):.3f} ms per save")
    print(
        f"workspace.database (directory read): {result['verified_ms']:.3f} ms per call; "
        f"the instance's own region: {result['trusted_ms']:.4f} ms"
    )
    print(
        f"region move US→EU: {result['rows']:,} rows in {result['move_s']:.1f} s = "
        f"{result['rows'] / result['move_s']:,.0f} rows/s (copy, verify, switch, purge)"
    )


if __name__ == "__main__":
    main()
