"""Signed, non-expiring unsubscribe tokens for the platform's own marketing mail."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "mailsoftly.accounts.unsubscribe"


def unsubscribe_token_make(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=_SALT, compress=True)


def unsubscribe_token_read(token: str) -> int | None:
    """The user id a token was made for, or None for anything forged or mangled."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(*, user_id: int) -> str:
    """Absolute link for the footer (and List-Unsubscribe) of platform marketing mail."""
    path = reverse("accounts:unsubscribe", args=[unsubscribe_token_make(user_id=user_id)])
    return settings.BASE_URL.rstrip("/") + path
