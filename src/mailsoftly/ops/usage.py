"""Usage and device logging (P09, P10), kept off the request's critical path.

Each signed-in request becomes one small dict. With Redis (OPS_REDIS_URL) the dict is
appended to a Redis list and a beat task drains the list into the database in batches:
nothing is lost when a web process dies. Embedded (no Redis) the dicts wait in a
per-process buffer that is written once it holds OPS_USAGE_BUFFER_SIZE records, at
process exit, and on the beat task. The trade-off: a process killed hard (SIGKILL, OOM)
loses at most OPS_USAGE_BUFFER_SIZE - 1 records; a write error is logged, never silent,
and the batch is put back for the next flush.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from mailsoftly.core import clock
from mailsoftly.ops.models import UsageRecord

log = logging.getLogger(__name__)
REDIS_KEY = "mailsoftly:ops:usage"
_lock = threading.Lock()
_buffer: list[dict[str, Any]] = []


def session_fingerprint(session_key: str | None) -> str:
    """Sessions are told apart by a hash: the log must never hold a usable session key."""
    if not session_key:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:40]


def device_parse(user_agent: str) -> dict[str, str]:
    from ua_parser import parse

    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else ""
    os_name = result.os.family if result.os else ""
    device = result.device.family if result.device else ""
    ua = (user_agent or "").lower()
    if device == "Spider" or "bot" in ua:
        kind = "bot"
    elif "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        kind = "tablet"
    elif "mobi" in ua or "iphone" in ua:
        kind = "mobile"
    elif ua:
        kind = "desktop"
    else:
        kind = ""
    return {"browser": browser[:100], "os": os_name[:100], "device_type": kind}


def location_lookup(ip: str | None) -> str:
    """City/country from a MaxMind database when the operator configured one, else ""."""
    path = getattr(settings, "OPS_GEOIP_DATABASE", "")
    if not ip or not path:
        return ""
    try:  # optional dependency: geoip2 is only needed by operators who set the path
        import geoip2.database  # type: ignore[import-not-found]

        with geoip2.database.Reader(path) as reader:
            city = reader.city(ip)
        return ", ".join(p for p in (city.city.name, city.country.name) if p)[:200]
    except Exception:
        log.warning("IP location lookup failed", exc_info=True)
        return ""


def _redis():
    url = getattr(settings, "OPS_REDIS_URL", None)
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _database_tag() -> str:
    """Which database the records belong to. A test run swaps the database under the
    process; records made against one are never written into another."""
    from django.db import connections

    return str(connections["default"].settings_dict.get("NAME"))


def usage_append(entry: dict[str, Any]) -> None:
    """Queue one record; write a batch once the in-process buffer is full."""
    entry = {**entry, "db": _database_tag()}
    client = _redis()
    if client is not None:
        try:
            client.rpush(REDIS_KEY, json.dumps(entry))
            return
        except Exception:
            log.warning("usage log: Redis unavailable, buffering in process", exc_info=True)
    with _lock:
        _buffer.append(entry)
        full = len(_buffer) >= getattr(settings, "OPS_USAGE_BUFFER_SIZE", 50)
    if full:
        usage_flush_local()


def _write(entries: list[dict[str, Any]]) -> None:
    current = _database_tag()
    rows = []
    for e in entries:
        if e.get("db", current) != current:
            continue  # made against another database (a finished test run): dropped
        rows.append(
            UsageRecord(
                at=datetime.fromisoformat(e["at"]),
                user_id=e["user_id"],
                workspace_id=e.get("workspace_id"),
                path=e.get("path", "")[:500],
                ip_address=e.get("ip"),
                session_key=e.get("session", ""),
                location=location_lookup(e.get("ip")),
                **device_parse(e.get("ua", "")),
            )
        )
    with transaction.atomic():
        UsageRecord.objects.bulk_create(rows, batch_size=500)


def usage_flush_local() -> int:
    with _lock:
        batch = _buffer[:]
        _buffer.clear()
    if not batch:
        return 0
    try:
        _write(batch)
    except Exception:
        log.exception("usage log: writing %d records failed; kept for the next flush", len(batch))
        with _lock:
            _buffer[:0] = batch
        raise
    return len(batch)


def usage_flush(*, batch: int = 1000) -> int:
    """Write everything queued (local buffer and Redis list). Returns records written."""
    written = usage_flush_local()
    client = _redis()
    while client is not None:
        raw = client.lpop(REDIS_KEY, batch)
        if not raw:
            break
        entries = [json.loads(r) for r in raw]
        try:
            _write(entries)
        except Exception:
            client.lpush(REDIS_KEY, *reversed(raw))
            raise
        written += len(entries)
    return written


def usage_purge_expired(*, now: datetime | None = None) -> int:
    """Delete records past OPS_USAGE_RETENTION_DAYS, in batches."""
    cutoff = (now or clock.now()) - timedelta(days=settings.OPS_USAGE_RETENTION_DAYS)
    total = 0
    while True:
        ids = list(UsageRecord.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:1000])
        if not ids:
            return total
        total += UsageRecord.objects.filter(pk__in=ids).delete()[0]


def _flush_at_exit() -> None:
    """Write what this process still holds. Quiet by design: after a test run the test
    database is gone (those records are dropped as foreign, see :func:`_write`), and at
    exit log streams may already be closed, so a failure is one warning line, no trace."""
    logging.raiseExceptions = False
    with _lock:
        batch = _buffer[:]
        _buffer.clear()
    if not batch:
        return
    try:
        _write(batch)
    except Exception as exc:  # nothing can be retried at exit; say how much was lost
        with contextlib.suppress(Exception):
            log.warning(
                "usage log: %d records could not be written at exit (%s)",
                len(batch),
                type(exc).__name__,
            )


atexit.register(_flush_at_exit)
