"""Our hooks into allauth: look-alike-proof uniqueness, throttling that says when to retry,
and social sign-up that keeps only what the provider was allowed to share (P12)."""

from __future__ import annotations

import math
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import ngettext

from mailsoftly.accounts.models import User, identity_key

# The profile fields a provider may hand us, by provider. Anything else in the
# response (birthday, gender, friends...) is dropped before it is stored.
SOCIAL_PROFILE_FIELDS = {
    "google": {"sub", "id", "email", "email_verified", "verified_email", "name"},
    "facebook": {"id", "email", "name", "first_name", "last_name"},
}


def retry_after_seconds(request, *, key: str) -> int:
    """How long until the failed-login limits let ``key`` (and this IP) try again."""
    now = time.time()
    wait = 0.0
    for rate in ratelimit.get_rates(app="allauth.account", action="login_failed"):
        cache_key = ratelimit.get_cache_key(
            request, app="allauth.account", action="login_failed", rate=rate, key=key
        )
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            # Newest first: the limit lifts when the amount-th newest hit expires.
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return math.ceil(wait)


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username, shallow=False):
        username = super().clean_username(username, shallow=shallow)
        if not shallow and User.objects.filter(username_key=identity_key(username)).exists():
            raise self.validation_error("username_taken")
        return username

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            key = self._get_login_attempts_cache_key(request, **credentials)
            seconds = max(retry_after_seconds(request, key=key), 1)
            minutes = math.ceil(seconds / 60)
            if seconds < 60:
                message = ngettext(
                    "Too many failed sign-in attempts. Try again in %(count)d second.",
                    "Too many failed sign-in attempts. Try again in %(count)d seconds.",
                    seconds,
                ) % {"count": seconds}
            else:
                message = ngettext(
                    "Too many failed sign-in attempts. Try again in %(count)d minute.",
                    "Too many failed sign-in attempts. Try again in %(count)d minutes.",
                    minutes,
                ) % {"count": minutes}
            raise ValidationError(message, code="too_many_login_attempts") from None

    def is_open_for_signup(self, request):
        return True

    def client_ip(self, request) -> str | None:
        try:
            return self.get_client_ip(request)
        except Exception:
            return None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def get_app(self, request, provider, client_id=None):
        # A provider without credentials in the environment is off: its URLs answer
        # 404 instead of failing on a missing app.
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404("This sign-in provider is not configured.") from None

    def pre_social_login(self, request, sociallogin):
        keep = SOCIAL_PROFILE_FIELDS.get(sociallogin.account.provider, {"id"})
        data = sociallogin.account.extra_data or {}
        sociallogin.account.extra_data = {k: v for k, v in data.items() if k in keep}

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        # Only what the account needs; names are not asked for at sign-up either.
        user.first_name = ""
        user.last_name = ""
        return user
