"""Reactions to allauth events."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash

from mailsoftly.accounts import services


def end_other_sessions_on_2fa(sender, request, user, authenticator, **kwargs) -> None:
    services.user_sessions_end_others(user=user)
    if request is not None and getattr(request, "user", None) == user:
        update_session_auth_hash(request, user)
