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


POLICY_CACHE_KEY = "ops:policy:material-latest"
POLICY_CACHE_SECONDS = 600
POLICY_OK_SESSION_KEY = "ops_policy_ok"


def policy_material_latest() -> list[PolicyVersion]:
    """The newest material version of each document, from the shared cache.

    Every signed-in page asks for this (the banner), so it is cached; publishing a version
    clears the entry (:func:`policy_cache_clear`) and the timeout bounds any miss.
    """
    from django.core.cache import cache

    latest = cache.get(POLICY_CACHE_KEY)
    if latest is None:
        latest = []
        for kind in PolicyKind.values:
            pv = (
                PolicyVersion.objects.filter(kind=kind, material=True)
                .order_by("-published_at", "-id")
                .first()
            )
            if pv is not None:
                latest.append(pv)
        cache.set(POLICY_CACHE_KEY, latest, POLICY_CACHE_SECONDS)
    return latest


def policy_cache_clear() -> None:
    from django.core.cache import cache

    cache.delete(POLICY_CACHE_KEY)


def policy_pending_notices(*, user, session=None) -> list[PolicyVersion]:
    """Material versions the user has not yet accepted (the banner), newest first.

    Only versions published after the account existed: a new account agreed to the
    current text at sign-up. With the user's ``session``, a set of versions already found
    accepted is remembered there, so the usual page costs no query at all.
    """
    candidates = [pv for pv in policy_material_latest() if pv.published_at > user.date_joined]
    if not candidates:
        return []
    ids = sorted(pv.pk for pv in candidates)
    if session is not None and session.get(POLICY_OK_SESSION_KEY) == ids:
        return []
    accepted = set(
        PolicyAcceptance.objects.filter(
            user=user,
            policy_version__in=[pv.acceptance_label for pv in candidates],
            revoked_at__isnull=True,
        ).values_list("policy_version", flat=True)
    )
    out = [pv for pv in candidates if pv.acceptance_label not in accepted]
    if session is not None and not out:
        session[POLICY_OK_SESSION_KEY] = ids
    return sorted(out, key=lambda pv: pv.published_at, reverse=True)


def policy_pending_for_request(request) -> list[PolicyVersion]:
    """:func:`policy_pending_notices` once per request (banner and middleware share it)."""
    cached = getattr(request, "_ops_policy_pending", None)
    if cached is None:
        cached = policy_pending_notices(
            user=request.user, session=getattr(request, "session", None)
        )
        request._ops_policy_pending = cached
    return cached


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
