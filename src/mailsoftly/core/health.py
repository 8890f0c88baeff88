"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database(alias: str) -> str | None:
    try:
        connection = connections[alias]
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return "migrations pending: run `mailsoftly manage migrate`"
    except DatabaseError as exc:
        return f"unreachable: {exc.__class__.__name__}: {str(exc).strip().splitlines()[0][:200]}"
    return None


def _check_broker() -> str | None:
    from kombu import Connection

    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"unreachable: {exc.__class__.__name__}: {str(exc)[:200]}"
    return None


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {f"database:{alias}": _check_database(alias) for alias in settings.DATABASES}
    checks["broker"] = _check_broker()
    failing = {name: reason for name, reason in checks.items() if reason}
    body = {
        "status": "ready" if not failing else "not ready",
        "checks": {name: (reason or "ok") for name, reason in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)
