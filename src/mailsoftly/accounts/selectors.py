"""Reads about accounts."""

from __future__ import annotations

from mailsoftly.accounts.models import MarketingConsent, PolicyAcceptance, User


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def marketing_consent_list(*, user: User, limit: int = 20):
    return MarketingConsent.objects.filter(user=user)[:limit]


def policy_acceptance_list(*, user: User):
    return PolicyAcceptance.objects.filter(user=user)


def marketing_recipients():
    """Accounts the platform may send its own promotional mail to (P19)."""
    return User.objects.filter(marketing_opt_in=True, is_active=True)
