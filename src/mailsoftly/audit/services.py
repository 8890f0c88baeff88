"""Writes to the audit log: recording events, and the retention purge (the only delete).

An entry about a workspace's content (its target is a regional row: a contact, a list, a
design, a campaign, an export, a screening result…) is written to
:class:`~mailsoftly.audit.models.RegionalAuditEvent` in the workspace's region database,
inside the same database as the change it records. Every other entry (accounts,
memberships, roles, invitations, domains, billing, region moves, support access) goes to
the directory's :class:`~mailsoftly.audit.models.AuditEvent` (policy P40).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction

from mailsoftly.audit.models import (
    FORGOTTEN,
    AuditEntry,
    AuditEvent,
    RegionalAuditEvent,
    _anonymise_allowed,
    _purge_allowed,
)
from mailsoftly.core import clock
from mailsoftly.core.regions import (
    DIRECTORY_DATABASE,
    WorkspaceReadOnly,
    check_writable,
    database_for,
)

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

    A regional row's label (a contact's address, a design's name, a subject line) is
    workspace content: it would outlive the row it names (a purged contact's address kept
    for the audit retention) and, before this log was split by region, leave the region
    (policy P40). So content targets are stored as type and id only, whatever the caller
    passes; the log page shows the id instead.
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


def _content_workspace(workspace, target: Any, fields: dict[str, str]):
    """The workspace whose region keeps this entry, or None for a directory entry."""
    if not _is_content_type(fields["target_type"]):
        return None
    owner_id = getattr(target, "workspace_id", None) if isinstance(target, models.Model) else None
    if owner_id is not None and (workspace is None or workspace.pk != owner_id):
        from mailsoftly.teams.models import Workspace

        return Workspace.objects.filter(pk=owner_id).first()
    return workspace


def audit_record(
    *,
    request=None,
    actor=None,
    workspace=None,
    action: str,
    target: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one audit row. IP address and user agent come from ``request`` (policy P36).

    ``actor`` defaults to the request's signed-in user, ``workspace`` to the request's
    current workspace. ``target`` is a model instance or a ``(type, id[, label])`` tuple;
    a regional target keeps no label (see :func:`_target_fields`), and ``before`` /
    ``after`` must hold ids and non-content metadata only (roles, states, counts).
    An entry whose target is workspace content goes to the workspace's region (a
    :class:`RegionalAuditEvent`); every other entry to the directory (an
    :class:`AuditEvent`). Call it inside the service's transaction for changes (so a
    rolled-back change leaves no row), and outside any transaction for refusals (so the
    refusal is kept).
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
    fields = _target_fields(target)
    regional = _content_workspace(workspace, target, fields)
    model = AuditEvent if regional is None else RegionalAuditEvent
    event = model(
        # By id: a user says nothing about regions, so the router could not place a new
        # regional row from it.
        actor_id=actor.pk if actor is not None else None,
        actor_label=(actor.get_username() if actor is not None else "")[:254],
        workspace=regional or workspace,
        ip=ip,
        user_agent=user_agent,
        created_at=clock.now(),
        action=action,
        before=before,
        after=after,
        **fields,
    )
    event.save(using=DIRECTORY_DATABASE if regional is None else regional.database)
    return event


def _audit_rows(region: str | None) -> tuple[models.QuerySet, str]:
    """The audit table of the directory (``region`` None) or of one region, and its database."""
    if region is None:
        return AuditEvent.objects.all(), DIRECTORY_DATABASE
    return RegionalAuditEvent.objects.dangerously_all_workspaces(region), database_for(region)


def _writable(rows: models.QuerySet, ids: list[int]) -> list[int]:
    """``ids`` less the rows of workspaces moving region (read-only until the move lands;
    their rows are left for the next run)."""
    if rows.model is AuditEvent:
        return ids
    moving = set()
    found = list(rows.filter(id__in=ids).values_list("id", "workspace_id"))
    for workspace_id in {w for _, w in found}:
        try:
            check_writable(workspace_id)
        except WorkspaceReadOnly:
            moving.add(workspace_id)
    return [pk for pk, w in found if w not in moving] if moving else ids


def audit_purge_expired(*, now: datetime | None = None, region: str | None = None) -> int:
    """Delete audit rows older than the retention period, in batches. The only delete path.

    ``region`` None purges the directory's log; a region name, that region's content log.
    """
    cutoff = (now or clock.now()) - retention()
    rows, database = _audit_rows(region)
    deleted = 0
    skipped: set[int] = set()  # rows of moving workspaces, left for the next run
    token = _purge_allowed.set(True)
    try:
        while True:
            ids = list(
                rows.filter(created_at__lt=cutoff)
                .exclude(id__in=skipped)
                .order_by("id")
                .values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return deleted
            writable = _writable(rows, ids)
            skipped.update(set(ids) - set(writable))
            with transaction.atomic(using=database):
                count, _ = rows.filter(id__in=writable).delete()
            deleted += count
    finally:
        _purge_allowed.reset(token)


def audit_anonymise_expired(*, now: datetime | None = None, region: str | None = None) -> int:
    """Forget the IP address and user agent of audit rows older than :func:`ip_retention`.

    The row itself (who did what to which object, when) stays until :func:`retention`.
    In batches; running it twice is harmless (the second run finds nothing to forget).
    ``region`` as for :func:`audit_purge_expired`.
    """
    cutoff = (now or clock.now()) - ip_retention()
    rows, database = _audit_rows(region)
    forgotten = 0
    skipped: set[int] = set()  # rows of moving workspaces, left for the next run
    token = _anonymise_allowed.set(True)
    try:
        while True:
            ids = list(
                rows.filter(created_at__lt=cutoff)
                .filter(models.Q(ip__isnull=False) | ~models.Q(user_agent=""))
                .exclude(id__in=skipped)
                .order_by("id")
                .values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return forgotten
            writable = _writable(rows, ids)
            skipped.update(set(ids) - set(writable))
            with transaction.atomic(using=database):
                forgotten += rows.filter(id__in=writable).update(**FORGOTTEN)
    finally:
        _anonymise_allowed.reset(token)
