"""Account and list signals that raise a workspace's risk level (policy P16).

Signals are facts recorded as they happen (a sign-up, a large first import, the first
campaign's bounces, complaints). :func:`account_risk_assess` turns them into a level:
*high* holds every campaign of the workspace for review (see
:func:`~mailsoftly.screening.services.screen.screening_gate`); the operator may suspend.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.screening.models import AccountRisk, RiskLevel, SignupRecord

# Thresholds: one place, named, so an operator can reason about them.
SIGNUP_WINDOW = timedelta(hours=24)
SIGNUPS_PER_IP = 3  # more sign-ups than this from one address in a day is a farm
SIGNUPS_PER_PREFIX = 10  # ... or from one /24 (IPv4) or /48 (IPv6)
NEW_ACCOUNT_AGE = timedelta(days=14)
LARGE_FIRST_IMPORT = 10_000
FIRST_CAMPAIGN_BOUNCE_RATE = 0.08
COMPLAINT_RATE = 0.003
COMPLAINT_MIN_SENT = 200

WEIGHTS = {
    "signup_ip_velocity": 3,
    "signup_prefix_velocity": 2,
    "disposable_email": 3,
    "large_first_import": 3,
    "first_campaign_bounces": 4,
    "complaints": 4,
}
HIGH_AT = 6
ELEVATED_AT = 3


def ip_prefix(ip: str | None) -> str:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def is_disposable(email: str) -> bool:
    from disposable_email_domains import blocklist

    domain = email.rpartition("@")[2].strip().lower()
    return bool(domain) and domain in blocklist


def _risk_for(workspace) -> AccountRisk:
    risk, _created = AccountRisk.objects.get_or_create(workspace=workspace)
    return risk


def _level(score: float) -> str:
    if score >= HIGH_AT:
        return RiskLevel.HIGH
    if score >= ELEVATED_AT:
        return RiskLevel.ELEVATED
    return RiskLevel.LOW


def account_risk_assess(*, workspace) -> AccountRisk:
    """Recompute the level from the recorded signals."""
    with transaction.atomic():
        risk = _risk_for(workspace)
        risk = AccountRisk.objects.select_for_update().get(pk=risk.pk)
        score = sum(WEIGHTS.get(name, 0) for name, on in risk.signals.items() if on)
        risk.score, risk.level = score, _level(score)
        risk.save(update_fields=["score", "level", "updated_at"])
    return risk


def _signal(*, workspace, name: str, detail: str) -> AccountRisk:
    with transaction.atomic():
        risk = _risk_for(workspace)
        risk = AccountRisk.objects.select_for_update().get(pk=risk.pk)
        risk.signals = {**risk.signals, name: detail}
        risk.save(update_fields=["signals", "updated_at"])
    return account_risk_assess(workspace=workspace)


def signup_record(*, user, ip: str | None, workspace=None) -> AccountRisk | None:
    """Record a sign-up; call from the accounts sign-up flow with the client address.

    Raises the workspace's risk when many sign-ups come from one IP or /24 in a day, or
    when the address is at a disposable-mail domain.
    """
    now = clock.now()
    prefix = ip_prefix(ip)
    email = getattr(user, "email", "") or ""
    disposable = is_disposable(email)
    SignupRecord.objects.create(
        user_id=getattr(user, "pk", None),
        workspace_id=getattr(workspace, "pk", None),
        ip=ip if prefix else None,
        ip_prefix=prefix,
        email_domain=email.rpartition("@")[2].lower()[:253],
        disposable=disposable,
        created_at=now,
    )
    if workspace is None:
        return None
    since = now - SIGNUP_WINDOW
    recent = SignupRecord.objects.filter(created_at__gte=since)
    if disposable:
        _signal(workspace=workspace, name="disposable_email", detail=email.rpartition("@")[2])
    if prefix and recent.filter(ip=ip).count() > SIGNUPS_PER_IP:
        _signal(workspace=workspace, name="signup_ip_velocity", detail=str(ip))
    if prefix and recent.filter(ip_prefix=prefix).count() > SIGNUPS_PER_PREFIX:
        _signal(workspace=workspace, name="signup_prefix_velocity", detail=prefix)
    return account_risk_assess(workspace=workspace)


def risk_note_import(*, workspace, rows: int) -> AccountRisk:
    """Call after a contact import: a new account importing a very large list is risky."""
    if rows >= LARGE_FIRST_IMPORT and clock.now() - workspace.created_at < NEW_ACCOUNT_AGE:
        return _signal(workspace=workspace, name="large_first_import", detail=str(rows))
    return account_risk_assess(workspace=workspace)


def risk_note_campaign(
    *, workspace, sent: int, bounced: int, complaints: int = 0, first: bool = False
) -> AccountRisk:
    """Call when a campaign finishes: first-campaign bounce rate and complaint rate."""
    if first and sent and bounced / sent >= FIRST_CAMPAIGN_BOUNCE_RATE:
        _signal(workspace=workspace, name="first_campaign_bounces", detail=f"{bounced}/{sent}")
    if sent >= COMPLAINT_MIN_SENT and complaints / sent >= COMPLAINT_RATE:
        _signal(workspace=workspace, name="complaints", detail=f"{complaints}/{sent}")
    return account_risk_assess(workspace=workspace)


def account_suspend(*, workspace, by, reason: str, request=None) -> AccountRisk:
    """Operator action: the workspace can no longer send. Audit-logged."""
    if not getattr(by, "is_staff", False):
        raise PermissionError("only staff suspend accounts")
    with transaction.atomic():
        risk = _risk_for(workspace)
        risk.suspended_at = clock.now()
        risk.suspended_reason = (reason or "").strip()[:2000] or _("Suspended by an operator.")
        risk.save(update_fields=["suspended_at", "suspended_reason", "updated_at"])
        try:
            from mailsoftly.audit.services import audit_record

            audit_record(
                request=request,
                actor=by,
                workspace=workspace,
                action="screening.suspend",
                target=workspace,
                after={"reason": risk.suspended_reason},
            )
        except ImportError:
            pass
    return risk
