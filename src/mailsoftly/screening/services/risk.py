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
    """Record a sign-up and raise the workspace's risk for what it shows (policy P16).

    Call from the accounts sign-up flow once the user exists, with the client's address
    (``request.META["REMOTE_ADDR"]`` or the address the trusted proxy reports):

    * ``user``: the new account; its e-mail domain is checked against the
      ``disposable-email-domains`` list.
    * ``ip``: the client address, IPv4 or IPv6. Anything unparsable is stored as no
      address and counts towards no velocity.
    * ``workspace``: the workspace created with the account, if any. Without one the
      sign-up is still recorded (it counts towards later sign-ups' velocity) and ``None``
      is returned.

    Signals raised: ``disposable_email``; ``signup_ip_velocity`` when more than
    :data:`SIGNUPS_PER_IP` sign-ups came from this address within
    :data:`SIGNUP_WINDOW`; ``signup_prefix_velocity`` for more than
    :data:`SIGNUPS_PER_PREFIX` from its /24 (IPv4) or /48 (IPv6).

    Idempotent per user: calling it again for a user already recorded (a retried sign-up
    request) records nothing new and just returns the workspace's current risk.
    Returns the workspace's :class:`AccountRisk` after reassessment.
    """
    now = clock.now()
    prefix = ip_prefix(ip)
    address = str(ipaddress.ip_address((ip or "").strip())) if prefix else None
    email = getattr(user, "email", "") or ""
    user_id = getattr(user, "pk", None)
    if user_id is not None and SignupRecord.objects.filter(user_id=user_id).exists():
        return account_risk_assess(workspace=workspace) if workspace is not None else None
    disposable = is_disposable(email)
    SignupRecord.objects.create(
        user_id=user_id,
        workspace_id=getattr(workspace, "pk", None),
        ip=address,
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
    if address and recent.filter(ip=address).count() > SIGNUPS_PER_IP:
        _signal(workspace=workspace, name="signup_ip_velocity", detail=address)
    if prefix and recent.filter(ip_prefix=prefix).count() > SIGNUPS_PER_PREFIX:
        _signal(workspace=workspace, name="signup_prefix_velocity", detail=prefix)
    return account_risk_assess(workspace=workspace)


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return value


def risk_note_import(*, workspace, rows: int) -> AccountRisk:
    """Note a finished contact import of ``rows`` contacts (policy P16).

    Call from the contacts import service after an import commits, with the number of
    contacts it added or updated. A workspace younger than :data:`NEW_ACCOUNT_AGE` that
    imports :data:`LARGE_FIRST_IMPORT` rows or more raises ``large_first_import``: bought
    or scraped lists arrive that way. Older workspaces import freely.

    Safe to call more than once (the signal is a fact, set once). Raises ``ValueError``
    for a negative or non-integer ``rows``. Returns the reassessed :class:`AccountRisk`.
    """
    rows = _count("rows", rows)
    if rows >= LARGE_FIRST_IMPORT and clock.now() - workspace.created_at < NEW_ACCOUNT_AGE:
        return _signal(workspace=workspace, name="large_first_import", detail=str(rows))
    return account_risk_assess(workspace=workspace)


def risk_note_campaign(
    *, workspace, sent: int, bounced: int, complaints: int = 0, first: bool = False
) -> AccountRisk:
    """Note a campaign's delivery figures (policy P16).

    Call from the campaigns/tracking side when a campaign finishes sending, and again
    whenever its bounce or complaint counts are updated (the signals are set once, so
    repeating the call is harmless):

    * ``sent``: messages accepted for delivery; ``bounced``: hard and soft bounces;
      ``complaints``: spam reports from feedback loops.
    * ``first``: ``True`` for the workspace's first campaign. Its bounce rate reaching
      :data:`FIRST_CAMPAIGN_BOUNCE_RATE` raises ``first_campaign_bounces`` (a list that
      was never opted in bounces like that).
    * Any campaign of at least :data:`COMPLAINT_MIN_SENT` messages whose complaint rate
      reaches :data:`COMPLAINT_RATE` raises ``complaints``.

    Raises ``ValueError`` for negative or non-integer counts, or more bounces or
    complaints than messages sent. Returns the reassessed :class:`AccountRisk`.
    """
    sent, bounced = _count("sent", sent), _count("bounced", bounced)
    complaints = _count("complaints", complaints)
    if bounced > sent or complaints > sent:
        raise ValueError("bounces and complaints cannot outnumber the messages sent")
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
