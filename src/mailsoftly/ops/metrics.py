"""Prometheus metrics at /metrics, computed from the databases at scrape time.

Computing at scrape time keeps the figures right with any number of web and worker
processes (no multiprocess registry to share) at the cost of a few aggregate queries per
scrape; scrape every 30-60 s. Protected by the bearer token METRICS_TOKEN.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from mailsoftly.core import clock
from mailsoftly.core.regions import Region

WINDOW = timedelta(minutes=5)
DAY = timedelta(days=1)


def _authorised(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", None)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())


def _line(out: list[str], name: str, kind: str, help_text: str, samples) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        label = ",".join(f'{k}="{v}"' for k, v in labels.items())
        out.append(f"{name}{{{label}}} {value}" if label else f"{name} {value}")


def metrics_collect() -> str:
    from mailsoftly.campaigns.models import Delivery, DeliveryStatus
    from mailsoftly.ops.models import UsageRecord
    from mailsoftly.tracking.models import Event, EventKind

    now = clock.now()
    out: list[str] = []
    requests = UsageRecord.objects.filter(at__gte=now - WINDOW).count()
    _line(
        out,
        "mailsoftly_signed_in_requests_5m",
        "gauge",
        "Signed-in requests recorded in the last 5 minutes.",
        [({}, requests)],
    )
    sent, queued, failed, bounces, complaints = [], [], [], [], []
    for region in Region.values:
        deliveries = Delivery.objects.dangerously_all_workspaces(region)
        n_sent = deliveries.filter(sent_at__gte=now - WINDOW).count()
        sent.append(({"region": region}, round(n_sent / WINDOW.total_seconds(), 4)))
        queued.append(
            (
                {"region": region},
                deliveries.filter(
                    status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
                ).count(),
            )
        )
        failed.append(({"region": region}, deliveries.filter(status=DeliveryStatus.FAILED).count()))
        day_sent = deliveries.filter(sent_at__gte=now - DAY).count()
        events = Event.objects.dangerously_all_workspaces(region).filter(occurred_at__gte=now - DAY)
        for kind, target in ((EventKind.BOUNCE, bounces), (EventKind.COMPLAINT, complaints)):
            n = events.filter(kind=kind).count()
            target.append(({"region": region}, round(n / day_sent, 6) if day_sent else 0))
    _line(out, "mailsoftly_send_rate", "gauge", "Messages sent per second (5 min).", sent)
    _line(out, "mailsoftly_queue_depth", "gauge", "Deliveries queued or in flight.", queued)
    _line(out, "mailsoftly_delivery_failures", "gauge", "Deliveries that failed.", failed)
    _line(out, "mailsoftly_bounce_rate", "gauge", "Bounces per sent message (24 h).", bounces)
    _line(
        out, "mailsoftly_complaint_rate", "gauge", "Complaints per sent message (24 h).", complaints
    )
    _line(out, "mailsoftly_event_ingest_lag_seconds", "gauge", _LAG_HELP, [({}, _ingest_lag())])
    _line(
        out,
        "mailsoftly_task_failures_total",
        "counter",
        "Celery tasks that raised, since the cache was last cleared.",
        [({}, task_failures())],
    )
    return "\n".join(out) + "\n"


FAILURES_KEY = "ops:metrics:task_failures"


def task_failure_count(**_kwargs) -> None:
    """celery.signals.task_failure receiver: counted in the shared cache (Redis in production)."""
    from django.core.cache import cache

    try:
        cache.incr(FAILURES_KEY)
    except ValueError:
        cache.add(FAILURES_KEY, 0, timeout=None)
        cache.incr(FAILURES_KEY)


def task_failures() -> int:
    from django.core.cache import cache

    return int(cache.get(FAILURES_KEY) or 0)


_LAG_HELP = "Age of the oldest open/click event waiting in the Redis stream (0 embedded)."


def _ingest_lag() -> float:
    """Embedded, events are written directly: no lag. With Redis, the oldest entry's age."""
    url = getattr(settings, "OPS_REDIS_URL", None)
    if not url:
        return 0.0
    try:
        import redis

        from mailsoftly.tracking import recorder

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        stream = getattr(recorder, "STREAM", None) or getattr(recorder, "STREAM_KEY", None)
        if not stream:
            return 0.0
        first = client.xrange(stream, count=1)
        if not first:
            return 0.0
        millis = int(first[0][0].split(b"-")[0])
        return max(0.0, clock.now().timestamp() - millis / 1000)
    except Exception:
        return -1.0


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = HttpResponse("unauthorised\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_collect(), content_type="text/plain; version=0.0.4")
