"""Per-request account plumbing: the user's language and timezone, and first-touch referral.

Both middlewares sit after AuthenticationMiddleware.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation

from mailsoftly.core import clock

COOKIE_CHOICE_KEY = "cookie_consent"  # mailsoftly.accounts.cookies.SESSION_KEY
COOKIES_REFUSED = "refused"

FIRST_TOUCH_SESSION_KEY = "accounts_first_touch"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_MAX = 200


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserPreferencesMiddleware:
    """Speak the signed-in user's language and show times in their timezone (P08).

    LocaleMiddleware has already chosen a language from the cookie or the browser; a
    signed-in user's saved choice wins over both, and the cookie is brought in line so
    the next anonymous page (e.g. after sign-out) stays in that language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated:
            codes = {code for code, _ in settings.LANGUAGES}
            if user.language in codes:
                language = user.language
                translation.activate(language)
                request.LANGUAGE_CODE = language
            zone = _zone(user.timezone)
            if zone is not None:
                timezone.activate(zone)
            else:
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if (
            language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
        ):
            set_language_cookie(response, language)
        timezone.deactivate()
        return response


def set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class FirstTouchMiddleware:
    """Remember where an anonymous visitor first came from (P11).

    Only a visit that carries referral data (an outside referrer or utm_* parameters)
    writes anything, and only the first one: later visits never overwrite it. The data
    stays in the server-side session until sign-up copies it onto the account. A visitor
    who refuses non-essential cookies is not tracked (the banner also drops what was kept).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and (user is None or not user.is_authenticated)
            and FIRST_TOUCH_SESSION_KEY not in request.session
            and request.session.get(COOKIE_CHOICE_KEY) != COOKIES_REFUSED
        ):
            touch = first_touch_from_request(request)
            if touch:
                request.session[FIRST_TOUCH_SESSION_KEY] = touch
        return self.get_response(request)


def first_touch_from_request(request) -> dict | None:
    utm = {}
    for field in UTM_FIELDS:
        value = request.GET.get(field, "")
        cleaned = "".join(ch for ch in value if ch.isprintable())[:_MAX].strip()
        if cleaned:
            utm[field] = cleaned
    referrer = request.headers.get("Referer", "")
    host = urlsplit(referrer).hostname if referrer else None
    if host and host == request.get_host().split(":")[0]:
        referrer = ""  # moving around our own pages is not a referral
    referrer = "".join(ch for ch in referrer if ch.isprintable())[:500]
    if not utm and not referrer:
        return None
    return {
        "referrer": referrer,
        "landing": request.get_full_path()[:500],
        "at": clock.now().isoformat(),
        **utm,
    }
