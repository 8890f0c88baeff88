"""Reads about accounts."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from mailsoftly.accounts.models import (
    ConsentPurpose,
    ConsentRecord,
    MarketingConsent,
    PolicyAcceptance,
    User,
)


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def marketing_consent_list(*, user: User, limit: int = 20):
    return MarketingConsent.objects.filter(user=user)[:limit]


def policy_acceptance_list(*, user: User):
    return PolicyAcceptance.objects.filter(user=user)


def privacy_policy_version_current() -> str:
    """The privacy-policy version a new account accepts: the operator's version in effect
    (ops), or the built-in text's version from settings while none has been published."""
    from django.conf import settings

    from mailsoftly.ops.models import PolicyKind
    from mailsoftly.ops.selectors import policy_current

    current = policy_current(kind=PolicyKind.PRIVACY)
    if current is not None:
        return current.acceptance_label
    return settings.PRIVACY_POLICY_VERSION


def consent_current(*, purpose: str, user: User | None = None, session_ref: str = "") -> bool:
    """The choice in force for ``purpose``: the newest ledger record, or "no" without one."""
    if user is not None:
        rows = ConsentRecord.objects.filter(user=user)
    elif session_ref:
        rows = ConsentRecord.objects.filter(session_ref=session_ref, user__isnull=True)
    else:
        return False
    latest = rows.filter(purpose=purpose).order_by("-recorded_at", "-id").first()
    return bool(latest and latest.granted)


def consent_record_list(*, user: User, limit: int = 20):
    return ConsentRecord.objects.filter(user=user)[:limit]


def third_party_sharing_accounts():
    """The only accounts whose contact details may go to a partner (P20): active, with
    the newest third-party-sharing record a "yes". Every partner export must start here."""
    newest = (
        ConsentRecord.objects.filter(
            user=OuterRef("pk"), purpose=ConsentPurpose.THIRD_PARTY_SHARING
        )
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )
    return (
        User.objects.filter(is_active=True).annotate(sharing=Subquery(newest)).filter(sharing=True)
    )


def marketing_recipients():
    """Accounts the platform may send its own promotional mail to (P19)."""
    return User.objects.filter(marketing_opt_in=True, is_active=True)


def privacy_policy_blocks() -> list[tuple[str, list[str] | str]]:
    """The policy text split into ("heading" | "item" | "para", text) blocks for display.

    The English text is authoritative (P35), so it is shown as written, not translated.
    """
    from django.template.loader import get_template

    text = get_template("accounts/privacy_policy.txt").template.source
    blocks: list[tuple[str, list[str] | str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- "):
            if blocks and blocks[-1][0] == "list":
                blocks[-1][1].append(line[2:])
            else:
                blocks.append(("list", [line[2:]]))
        elif line.isupper() or (len(line) < 60 and not line.endswith(".")):
            blocks.append(("heading", line))
        else:
            blocks.append(("para", line))
    return blocks
