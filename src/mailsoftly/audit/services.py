"""Writes to the audit log: recording events, and the retention purge (the only delete)."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction

from mailsoftly.audit.models import FORGOTTEN, AuditEvent, _anonymise_allowed, _purge_allowed
from mailsoftly.core import clock

DEFAULT_RETENTION_DAYS = 400
DEFAULT_IP_RETENTION_DAYS = 90
PURGE_BATCH = 1000


def retention() -> timedelta:
    return timedelta(days=getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def ip_retention() -> timedelta:
    """How long an audit row keeps the IP address and user agent it was written with."""
    return timedelta(days=getattr(settings, "AUDIT_IP_RETENTION_DAYS", DEFAULT_IP_RETENTION_DAYS))


def _client_ip(request) -> str | None:
    # REMOTE_ADDR is the peer address; a reverse proxy in front must pass the client
    # address through (granian/nginx "real IP" handling), never a header we trust blindly.
    raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def _is_content_type(kind: str) -> bool:
    """Whether ``app_label.model`` names a regional (workspace content) model."""
    from django.apps import apps

    from mailsoftly.core.regions import is_regional

    try:
        model = apps.get_model(kind)
    except (LookupError, ValueError):
        return False  # not a model (e.g. "newsletter"): the caller's label is its own text
    return is_regional(model)


def _target_fields(target: Any) -> dict[str, str]:
    """Type and id of the target, and a readable label only where the label is not content.

    The audit log lives in the directory database. A regional row's label (a contact's
    address, a design's name, a subject line) is workspace content that must stay in its
    region (policy P40), so regional targets are stored as type and id only, whatever the
    caller passes; the log page shows the id instead.
    """
    if target is None:
        return {"target_type": "", "target_id": "", "target_label": ""}
    if isinstance(target, models.Model):
        kind = target._meta.label_lower
        label = "" if _is_content_type(kind) else str(target)
        return {"target_type": kind, "target_id": str(target.pk), "target_label": label[:254]}
    # (type, id) or (type, id, label) for things that are not model rows.
    kind, ident, *label = target
    text = "" if not label or _is_content_type(str(kind)) else str(label[0])
    return {
        "target_type": str(kind)[:64],
        "target_id": str(ident)[:64],
        "target_label": text[:254],
    }


def audit_record(
    *,
    request=None,
    actor=None,
    workspace=None,
    action: str,
    target: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one audit row. IP address and user agent come from ``request`` (policy P36).

    ``actor`` defaults to the request's signed-in user, ``workspace`` to the request's
    current workspace. ``target`` is a model instance or a ``(type, id[, label])`` tuple;
    a regional target keeps no label (see :func:`_target_fields`), and ``before`` /
    ``after`` must hold ids and non-content metadata only (roles, states, counts).
    Call it inside the service's transaction for changes (so a rolled-back change leaves no
    row), and outside any transaction for refusals (so the refusal is kept).
    """
    ip, user_agent = None, ""
    if request is not None:
        ip = _client_ip(request)
        user_agent = (request.META.get("HTTP_USER_AGENT") or "")[:512]
        if actor is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                actor = user
        if workspace is None:
            workspace = getattr(request, "workspace", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # an anonymous visitor: the IP and user agent say who it was
    event = AuditEvent(
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else "")[:254],
        workspace=workspace,
        ip=ip,
        user_agent=user_agent,
        created_at=clock.now(),
        action=action,
        before=before,
        after=after,
        **_target_fields(target),
    )
    event.save()
    return event


def audit_purge_expired(*, now: datetime | None = None) -> int:
    """Delete audit rows older than the retention period, in batches. The only delete path."""
    cutoff = (now or clock.now()) - retention()
    deleted = 0
    token = _purge_allowed.set(True)
    try:
        while True:
            ids = list(
                AuditEvent.objects.filter(created_at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return deleted
            with transaction.atomic():
                count, _ = AuditEvent.objects.filter(id__in=ids).delete()
            deleted += count
    finally:
        _purge_allowed.reset(token)


def audit_anonymise_expired(*, now: datetime | None = None) -> int:
    """Forget the IP address and user agent of audit rows older than :func:`ip_retention`.

    The row itself (who did what to which object, when) stays until :func:`retention`.
    In batches; running it twice is harmless (the second run finds nothing to forget).
    """
    cutoff = (now or clock.now()) - ip_retention()
    forgotten = 0
    token = _anonymise_allowed.set(True)
    try:
        while True:
            ids = list(
                AuditEvent.objects.filter(created_at__lt=cutoff)
                .filter(models.Q(ip__isnull=False) | ~models.Q(user_agent=""))
                .order_by("id")
                .values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return forgotten
            with transaction.atomic():
                forgotten += AuditEvent.objects.filter(id__in=ids).update(**FORGOTTEN)
    finally:
        _anonymise_allowed.reset(token)
