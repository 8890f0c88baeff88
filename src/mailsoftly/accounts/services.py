"""Writes about accounts: what sign-up records, preference changes, consent, disabling.

Each service owns its transaction and queues mail only after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mailsoftly.accounts.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    MarketingConsent,
    PolicyAcceptance,
    User,
)
from mailsoftly.core import clock
from mailsoftly.core.mail import platform_mail_enqueue

MARKETING_CONSENT_TEXT = (
    "Send me occasional news about Mailsoftly products and offers. I can unsubscribe at any time."
)
# The wording each ledger row records, as shown (in English, the authoritative text, P35).
CONSENT_TEXTS = {
    ConsentPurpose.COOKIES: {
        True: "Accept all cookies, including any non-essential (analytics or advertising) cookies.",
        False: "Only essential cookies: sign-in session, form protection and language.",
    },
    ConsentPurpose.THIRD_PARTY_SHARING: {
        True: "Mailsoftly may give my name and email address to selected partners so they "
        "can tell me about their products. I can withdraw this at any time.",
        False: "Do not share my contact details with partners.",
    },
}


def _parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def account_signup_record(
    *,
    user: User,
    ip_address: str | None,
    marketing_opt_in: bool,
    first_touch: dict | None,
    policy_version: str | None = None,
    cookie_choice: bool | None = None,
) -> None:
    """Record what a new account agreed to and where it came from, then welcome it.

    Called inside the sign-up transaction: the policy acceptance (P41, the version in
    effect), the marketing choice in the ledger (P19, recorded either way), the
    first-touch referral (P11), the personal workspace, the screening record (P16) and
    the welcome mail (P18, queued after commit) stand or fall together with the account
    row.
    """
    from mailsoftly.accounts.selectors import privacy_policy_version_current
    from mailsoftly.screening.services import signup_record
    from mailsoftly.teams.services import workspace_create

    now = clock.now()
    with transaction.atomic():
        PolicyAcceptance.objects.create(
            user=user,
            policy_version=policy_version or privacy_policy_version_current(),
            accepted_at=now,
            ip_address=ip_address,
            source=ConsentSource.SIGNUP,
        )
        _consent_write(
            user=user,
            granted=marketing_opt_in,
            source=ConsentSource.SIGNUP,
            ip_address=ip_address,
            at=now,
        )
        if cookie_choice is not None:
            # The banner choice made before the account existed now belongs to it.
            consent_record(
                user=user,
                purpose=ConsentPurpose.COOKIES,
                granted=cookie_choice,
                source=ConsentSource.SIGNUP,
                ip_address=ip_address,
            )
        touch = first_touch or {}
        user.first_touch_referrer = touch.get("referrer", "")[:500]
        user.first_touch_landing = touch.get("landing", "")[:500]
        user.first_touch_at = _parse_time(touch.get("at"))
        for field in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
            setattr(user, field, str(touch.get(field, ""))[:200])
        user.language = translation.get_language() or settings.LANGUAGE_CODE
        if user.language not in {code for code, _name in settings.LANGUAGES}:
            user.language = settings.LANGUAGE_CODE
        user.save()
        workspace = workspace_create(
            owner=user,
            name=_("%(username)s's workspace") % {"username": user.username},
            is_personal=True,
        )
        # Abuse screening (P16) sees every sign-up with its address: many from one IP or
        # a disposable domain raise the new workspace's risk before it can send.
        signup_record(user=user, ip=ip_address, workspace=workspace)
        welcome_mail_enqueue(user=user)


def consent_record(
    *,
    purpose: str,
    granted: bool,
    source: str,
    ip_address: str | None,
    user: User | None = None,
    session_ref: str = "",
) -> ConsentRecord:
    """Append one cookie or third-party-sharing choice to the consent ledger (P20, P33).

    Takes effect at once: readers take the newest record for the purpose
    (:func:`mailsoftly.accounts.selectors.consent_current`). Needs an account or, for a
    visitor not signed in, a session reference.
    """
    if user is None and not session_ref:
        raise ValueError("a consent record needs an account or a session reference")
    return ConsentRecord.objects.create(
        user=user,
        session_ref=session_ref[:64],
        purpose=purpose,
        granted=granted,
        source=source,
        recorded_at=clock.now(),
        ip_address=ip_address,
        consent_text=CONSENT_TEXTS[ConsentPurpose(purpose)][bool(granted)],
    )


def third_party_sharing_set(
    *, user: User, granted: bool, source: str, ip_address: str | None = None
) -> bool:
    """Give or withdraw consent to share contact details with partners (P20).

    Off until the account opts in. Returns True when the choice changed; an unchanged
    choice adds no row.
    """
    from mailsoftly.accounts.selectors import consent_current

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise per account
        if consent_current(user=user, purpose=ConsentPurpose.THIRD_PARTY_SHARING) == granted:
            return False
        consent_record(
            user=user,
            purpose=ConsentPurpose.THIRD_PARTY_SHARING,
            granted=granted,
            source=source,
            ip_address=ip_address,
        )
    return True


def welcome_mail_enqueue(*, user: User) -> None:
    """Queue the welcome mail. Transactional: sent whatever the marketing choice (P18)."""
    with translation.override(user.language):
        context = {
            "user": user,
            "login_url": settings.BASE_URL.rstrip("/") + reverse("account_login"),
        }
        subject = _("Welcome to Mailsoftly")
        text = render_to_string("accounts/email/welcome.txt", context)
    platform_mail_enqueue(to=[user.email], subject=subject, text=text)


def _consent_write(
    *, user: User, granted: bool, source: str, ip_address: str | None, at: datetime
) -> MarketingConsent:
    entry = MarketingConsent.objects.create(
        user=user,
        granted=granted,
        source=source,
        recorded_at=at,
        ip_address=ip_address,
        consent_text=MARKETING_CONSENT_TEXT,
    )
    User.objects.filter(pk=user.pk).update(marketing_opt_in=granted)
    user.marketing_opt_in = granted
    return entry


def marketing_consent_set(
    *, user: User, granted: bool, source: str, ip_address: str | None = None
) -> bool:
    """Opt in or out of platform marketing mail, effective at once (P19, P23).

    Returns True when the choice changed. An unchanged choice writes no ledger row, so
    a repeated unsubscribe click leaves one clean entry.
    """
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        if current.marketing_opt_in == granted:
            user.marketing_opt_in = granted
            return False
        _consent_write(
            user=user, granted=granted, source=source, ip_address=ip_address, at=clock.now()
        )
    return True


def user_preferences_update(*, user: User, username: str, language: str, timezone: str) -> User:
    """Save My Account's profile and preferences. Takes effect on the next response (P23)."""
    user.username = username
    user.language = language
    user.timezone = timezone
    user.save(update_fields=["username", "language", "timezone"])
    return user


def user_sessions_end_others(*, user: User) -> None:
    """End every session of ``user``; the caller re-keys the one it wants to keep."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def user_disable(*, user: User, reason: str = "", by: User | None = None) -> User:
    """Disable an account at once (P34): sign-in refused and every session ended.

    Deletion builds on this (lifecycle): a disabled account is kept, not erased, here.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            is_active=False,
            disabled_at=clock.now(),
            disabled_reason=reason[:500],
            session_epoch=F("session_epoch") + 1,
        )
    user.refresh_from_db()
    return user


def policy_consent_withdraw(*, user: User, ip_address: str | None = None) -> None:
    """Withdraw the "I agree" given to the privacy policy (P41).

    The service cannot be provided without it, so the account is closed at once the same
    way staff disable one; deletion after the hold period belongs to the lifecycle.
    """
    now = clock.now()
    with transaction.atomic():
        PolicyAcceptance.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        user_disable(user=user, reason="Withdrew consent to the privacy policy")


def user_enable(*, user: User) -> User:
    """Undo :func:`user_disable` (support restoring an account)."""
    User.objects.filter(pk=user.pk).update(is_active=True, disabled_at=None, disabled_reason="")
    user.refresh_from_db()
    return user
