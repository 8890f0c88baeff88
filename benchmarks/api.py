"""REST API figures on a fresh SQLite pair, in-process through Django's test client.

1. 1,000 authenticated GET /api/v1/lists with one key (rate limit raised): calls/s.
2. POST /api/v1/contacts/bulk with N new contacts (default 10,000), then the same N again
   (all updates): seconds for each.
3. 200 POST /api/v1/designs (HTML, compiled on save, one version each) and 200
   GET /api/v1/designs/{id}/render (merge with sample data): calls/s for each.

Run: .venv/bin/python benchmarks/api.py [N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

N = int(os.environ.get("BENCH_N") or (sys.argv[1] if len(sys.argv) > 1 else 10_000))


def run_once() -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from mailsoftly.accounts.models import User
    from mailsoftly.api.services import ALL_SCOPES, api_key_create
    from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus
    from mailsoftly.teams.services import workspace_create

    for alias in ("default", "eu"):
        call_command("migrate", database=alias, verbosity=0)
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    settings.ALLOWED_HOSTS = ["*"]
    user = User.objects.create(username="bench", email="b@example.com")
    workspace = workspace_create(owner=user, name="Bench")
    Plan.objects.filter(code="business").update(contacts_limit=None)
    Subscription.objects.update_or_create(
        workspace=workspace,
        defaults={
            "plan": Plan.objects.get(code="business"),
            "status": SubscriptionStatus.ACTIVE,
            "subscription_id": "s",
        },
    )
    _key, token = api_key_create(workspace=workspace, user=user, name="b", scopes=list(ALL_SCOPES))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    for _ in range(1000):
        assert client.get("/api/v1/lists").status_code == 200
    calls_per_s = 1000 / (time.perf_counter() - started)
    items = [{"email": f"p{i}@example.org", "first_name": f"P{i}"} for i in range(N)]
    figures = {"get_calls_per_s": round(calls_per_s)}
    for label in ("bulk_create_s", "bulk_update_s"):
        started = time.perf_counter()
        response = client.post(
            "/api/v1/contacts/bulk", {"items": items}, content_type="application/json"
        )
        assert response.status_code == 200, response.content[:300]
        figures[label] = round(time.perf_counter() - started, 2)
    source = (
        "<h1>Hello {{ contact.first_name | default('there') }}</h1>"
        + "<p>Our <b>spring</b> news, with <a href='https://example.com/a'>a link</a>.</p>" * 20
        + "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
    )
    body = {"name": "Bench", "subject": "Hi {{ contact.first_name }}", "source_kind": "html"}
    ids = []
    started = time.perf_counter()
    for _ in range(200):
        response = client.post(
            "/api/v1/designs", {**body, "source": source}, content_type="application/json"
        )
        assert response.status_code == 201, response.content[:300]
        ids.append(response.json()["id"])
    figures["design_create_per_s"] = round(200 / (time.perf_counter() - started))
    started = time.perf_counter()
    for design_id in ids:
        assert client.get(f"/api/v1/designs/{design_id}/render").status_code == 200
    figures["design_render_per_s"] = round(200 / (time.perf_counter() - started))
    return figures


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import django, os, json;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE','mailsoftly.config.settings');"
            "django.setup();"
            "import sys; sys.path.insert(0, 'benchmarks');"
            "import api as b; print(json.dumps(b.run_once()))"
        )
        out = (
            subprocess.run(
                [sys.executable, "-c", code],
                env={**os.environ, "BENCH_N": str(N), "MAILSOFTLY_VAR_DIR": tmp},
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    figures = json.loads(out)
    print(f"GET /api/v1/lists: {figures['get_calls_per_s']:,} calls/s (1,000 calls, one key)")
    print(f"bulk upsert {N:,} new contacts: {figures['bulk_create_s']} s")
    print(f"bulk upsert {N:,} existing contacts: {figures['bulk_update_s']} s")
    print(f"POST /api/v1/designs: {figures['design_create_per_s']:,} calls/s (200 calls)")
    print(f"GET /api/v1/designs/{{id}}/render: {figures['design_render_per_s']:,} calls/s")
    print(json.dumps({"n": N, **figures}))


if __name__ == "__main__":
    main()
