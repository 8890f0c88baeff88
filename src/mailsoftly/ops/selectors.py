"""Reads for operating the service."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from mailsoftly.accounts.models import PolicyAcceptance
from mailsoftly.core import clock
from mailsoftly.ops.models import PolicyKind, PolicyVersion, SupportAccess, UsageRecord
from mailsoftly.teams.models import Workspace


def support_account_search(*, query: str, limit: int = 50):
    query = (query or "").strip()
    users = get_user_model().objects.order_by("username")
    if not query:
        return users.none()
    cond = Q(username__icontains=query) | Q(email__icontains=query)
    if query.isdigit():
        cond |= Q(pk=int(query))
    return users.filter(cond)[:limit]


def support_workspace_search(*, query: str, limit: int = 50):
    query = (query or "").strip()
    if not query:
        return Workspace.objects.none()
    cond = Q(name__icontains=query)
    if query.isdigit():
        cond |= Q(pk=int(query))
    return Workspace.objects.filter(cond).order_by("name")[:limit]


def support_access_list(*, subject) -> QuerySet[SupportAccess]:
    return SupportAccess.objects.filter(subject=subject).select_related("staff")


def policy_current(*, kind: str) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(kind=kind, effective_at__lte=clock.now()).first()


def policy_pending_notices(*, user) -> list[PolicyVersion]:
    """Material versions the user has not yet accepted (the banner), newest first.

    Only versions published after the account existed: a new account agreed to the
    current text at sign-up.
    """
    out = []
    for kind in PolicyKind.values:
        pv = (
            PolicyVersion.objects.filter(
                kind=kind, material=True, published_at__gt=user.date_joined
            )
            .order_by("-published_at")
            .first()
        )
        if pv is None:
            continue
        if not PolicyAcceptance.objects.filter(
            user=user, policy_version=pv.acceptance_label, revoked_at__isnull=True
        ).exists():
            out.append(pv)
    return out


def usage_session_list(*, user, limit: int = 200) -> list[dict]:
    """The user's sessions and devices: the latest record of each session, newest first."""
    seen: dict[str, dict] = {}
    for rec in UsageRecord.objects.filter(user=user).order_by("-at", "-id")[:2000]:
        key = rec.session_key or f"rec{rec.pk}"
        if key in seen:
            seen[key]["first_at"] = rec.at
            continue
        seen[key] = {"record": rec, "first_at": rec.at, "last_at": rec.at, "key": key}
        if len(seen) >= limit:
            break
    return list(seen.values())
