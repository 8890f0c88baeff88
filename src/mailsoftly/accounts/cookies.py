"""Cookie consent (P33).

The choice is kept in the server-side session, so remembering it sets no cookie of its
own. Only essential cookies exist today (session, CSRF, language); a future analytics
integration must ask :func:`non_essential_cookies_allowed` before setting anything.
"""

from __future__ import annotations

SESSION_KEY = "cookie_consent"
ACCEPTED = "accepted"
REFUSED = "refused"
ESSENTIAL_COOKIES = ("sessionid", "csrftoken", "django_language")


def cookie_choice(request) -> str | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    return session.get(SESSION_KEY)


def cookie_choice_set(request, *, accepted: bool) -> None:
    from mailsoftly.accounts.middleware import FIRST_TOUCH_SESSION_KEY

    request.session[SESSION_KEY] = ACCEPTED if accepted else REFUSED
    if not accepted:
        # Referral tracking is not needed for the site to work: refusing drops it.
        request.session.pop(FIRST_TOUCH_SESSION_KEY, None)


def session_ref(request) -> str:
    """A stable reference to this visitor's session for the consent ledger: a hash, so
    the ledger never holds a usable session key."""
    from mailsoftly.ops.usage import session_fingerprint

    session = request.session
    if not session.session_key:
        session.save()
    return session_fingerprint(session.session_key)


def cookie_choice_bool(request) -> bool | None:
    choice = cookie_choice(request)
    return None if choice is None else choice == ACCEPTED


def non_essential_cookies_allowed(request) -> bool:
    return cookie_choice(request) == ACCEPTED
