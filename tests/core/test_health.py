import json
import os
import subprocess
import sys

from django.urls import reverse


def test_healthz_is_ok_without_touching_dependencies(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client, db):
    response = client.get(reverse("readyz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"] == {"database:default": "ok", "database:eu": "ok", "broker": "ok"}


def test_readyz_names_an_unreachable_broker(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["broker"].startswith("unreachable")
    assert body["checks"]["database:default"] == "ok"


_PROBE = """
import django, json
django.setup()
from django.test import Client
r = Client().get("/readyz")
print(json.dumps({"status": r.status_code, "body": r.json()}))
"""


def test_readyz_names_an_unreachable_database(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MAILSOFTLY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings",
        "DATABASE_URL_EU": "postgres://nobody@127.0.0.1:1/nowhere",
    }
    subprocess.run(
        [sys.executable, "-m", "mailsoftly", "manage", "migrate", "--no-input", "-v0"],
        env=env,
        check=True,
        timeout=120,
    )
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"]["checks"]["database:eu"].startswith("unreachable: OperationalError")
    assert result["body"]["checks"]["database:default"] == "ok"


def test_readyz_reports_pending_migrations(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MAILSOFTLY_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "mailsoftly.config.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert "migrations pending" in result["body"]["checks"]["database:default"]
