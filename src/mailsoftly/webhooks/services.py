"""Writes of the webhooks app.

Contract for other apps: ``webhook_emit(*, workspace, event, data)`` — ``event`` one of
:data:`~mailsoftly.webhooks.models.EVENTS`, ``data`` a JSON-serialisable dict (ids and
public fields, no secrets). It writes one message per enabled endpoint subscribed to the
event and enqueues their delivery after the surrounding transaction commits; it does no
network I/O itself and returns the number of messages. Call it after your own write.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from mailsoftly.core import clock
from mailsoftly.webhooks import netsafe
from mailsoftly.webhooks.models import (
    EVENTS,
    MessageStatus,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)

# After the first try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27 h in all).
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)


def _validate(url: str, events: list[str]) -> dict[str, str]:
    errors = {}
    try:
        netsafe.resolve(url)
    except netsafe.UnsafeTarget as exc:
        errors["url"] = str(exc)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        errors["events"] = _("Unknown events: %(e)s.") % {"e": ", ".join(unknown)}
    elif not events:
        errors["events"] = _("Choose at least one event.")
    return errors


def webhook_endpoint_create(
    *, workspace, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    """Subscribe ``url`` to ``events``; the signing secret is generated here."""
    url = url.strip()
    errors = _validate(url, events)
    if errors:
        raise ValidationError(errors)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return WebhookEndpoint.objects.for_workspace(workspace).create(
        workspace=workspace,
        url=url,
        events=sorted(set(events)),
        description=description.strip()[:200],
        secret=secret,
    )


def webhook_endpoint_trash(*, endpoint: WebhookEndpoint, by_user=None) -> None:
    WebhookEndpoint.objects.for_workspace(endpoint.workspace).filter(pk=endpoint.pk).move_to_trash(
        by_user_id=getattr(by_user, "pk", None)
    )


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.for_workspace(endpoint.workspace).filter(pk=endpoint.pk).update(
        disabled_at=None, disabled_reason=""
    )


def _enqueue(message: WebhookMessage) -> None:
    from mailsoftly.webhooks.tasks import webhook_deliver_task

    workspace_id, message_id = message.workspace_id, message.pk
    transaction.on_commit(
        lambda: webhook_deliver_task.delay(workspace_id=workspace_id, message_id=message_id),
        using=message.workspace.database,
    )


def webhook_emit(*, workspace, event: str, data: dict) -> int:
    """Queue ``event`` for every enabled endpoint subscribed to it (see module docstring)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.for_workspace(workspace).filter(disabled_at__isnull=True)
        if event in e.events
    ]
    now = clock.now()
    with transaction.atomic(using=workspace.database):
        for endpoint in endpoints:
            msg_id = f"msg_{uuid.uuid4().hex}"
            message = WebhookMessage.objects.for_workspace(workspace).create(
                workspace=workspace,
                endpoint=endpoint,
                msg_id=msg_id,
                event=event,
                payload={"type": event, "timestamp": now.isoformat(), "data": data},
                # The task tries at once; beat picks it up only if that try was lost.
                next_attempt_at=now + timedelta(minutes=1),
            )
            _enqueue(message)
    return len(endpoints)


def _signed_headers(endpoint: WebhookEndpoint, message: WebhookMessage, body: str) -> dict:
    now = clock.now()
    signature = Webhook(endpoint.secret).sign(message.msg_id, now, body)
    return {
        "Content-Type": "application/json",
        "User-Agent": "Mailsoftly-Webhooks/1",
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def webhook_deliver(*, message: WebhookMessage, post=None) -> WebhookAttempt | None:
    """One delivery attempt (idempotent: a delivered or failed message is left alone).

    2xx is success; anything else — a redirect included, which is never followed — is a
    failure retried after the next delay. After the last delay the message fails and the
    endpoint is disabled, and the workspace admins are told.
    """
    if message.status != MessageStatus.PENDING:
        return None
    endpoint = message.endpoint
    if endpoint.disabled_at is not None or endpoint.trashed_at is not None:
        return None
    body = json.dumps(message.payload, separators=(",", ":"))
    started = time.monotonic()
    status_code, excerpt, error = None, "", ""
    try:
        answer = (post or netsafe.post)(
            endpoint.url, body=body.encode(), headers=_signed_headers(endpoint, message, body)
        )
        status_code, excerpt = answer.status, answer.excerpt
    except netsafe.UnsafeTarget as exc:
        error = str(exc)
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    latency = int((time.monotonic() - started) * 1000)
    success = status_code is not None and 200 <= status_code < 300
    workspace = message.workspace
    now = clock.now()
    with transaction.atomic(using=workspace.database):
        attempt = WebhookAttempt.objects.for_workspace(workspace).create(
            workspace=workspace,
            message=message,
            attempted_at=now,
            status_code=status_code,
            success=success,
            latency_ms=latency,
            response_excerpt=excerpt[: netsafe.EXCERPT],
            error=error[:300],
        )
        message.attempt_count += 1
        if success:
            message.status, message.next_attempt_at = MessageStatus.DELIVERED, None
        elif message.attempt_count > len(RETRY_DELAYS):
            message.status, message.next_attempt_at = MessageStatus.FAILED, None
        else:
            message.next_attempt_at = now + RETRY_DELAYS[message.attempt_count - 1]
        message.save(update_fields=["status", "attempt_count", "next_attempt_at", "updated_at"])
        if message.status == MessageStatus.FAILED:
            _endpoint_disable(endpoint, reason=_("Deliveries failed for more than 24 hours."))
    return attempt


def _endpoint_disable(endpoint: WebhookEndpoint, *, reason: str) -> None:
    from mailsoftly.core.mail import platform_mail_enqueue
    from mailsoftly.teams.models import Role
    from mailsoftly.teams.selectors import member_list

    changed = (
        WebhookEndpoint.objects.for_workspace(endpoint.workspace)
        .filter(pk=endpoint.pk, disabled_at__isnull=True)
        .update(disabled_at=clock.now(), disabled_reason=reason[:300])
    )
    if not changed:
        return
    admins = [
        m.user.email
        for m in member_list(workspace=endpoint.workspace)
        if m.role in (Role.PRIMARY_ADMIN, Role.ADMIN) and m.user.email
    ]
    if admins:
        platform_mail_enqueue(
            to=admins,
            subject=_("A webhook endpoint was disabled"),
            text=_(
                "Deliveries to %(url)s kept failing, so the endpoint was disabled: %(reason)s "
                "Fix the receiver and enable it again in the workspace settings."
            )
            % {"url": endpoint.url, "reason": reason},
        )


def webhook_message_retry(*, message: WebhookMessage) -> None:
    """Manual retry: deliver again now (a failed message gets one more full chance)."""
    with transaction.atomic(using=message.workspace.database):
        WebhookMessage.objects.for_workspace(message.workspace).filter(pk=message.pk).update(
            status=MessageStatus.PENDING,
            next_attempt_at=clock.now(),
            attempt_count=0 if message.status == MessageStatus.FAILED else message.attempt_count,
        )
        message.refresh_from_db()
        _enqueue(message)


def webhook_retry_due(*, region: str) -> int:
    """Deliver every pending message whose next attempt is due (beat, per region)."""
    due = (
        WebhookMessage.objects.dangerously_all_workspaces(region)
        .filter(status=MessageStatus.PENDING, next_attempt_at__lte=clock.now())
        .select_related("endpoint")
        .order_by("next_attempt_at")[:500]
    )
    count = 0
    for message in due:
        webhook_deliver(message=message)
        count += 1
    return count
