"""Normalising and checking addresses: the single definition of "the same contact"."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address is not syntactically valid; ``str(exc)`` is a message for the user."""


def email_normalize(raw: str) -> tuple[str, str]:
    """``(email, email_key)`` for ``raw``, or :class:`InvalidEmail`.

    ``email`` is trimmed with the domain lower-cased and IDNA-encoded (what we send to);
    ``email_key`` is the case-folded form that uniqueness and suppression compare.
    Syntax only: no DNS (deliverability is checked by bounces, not at import).
    """
    if not isinstance(raw, str):
        raise InvalidEmail(_("The address is missing."))
    value = raw.strip()
    if not value:
        raise InvalidEmail(_("The address is missing."))
    if len(value) > 320:
        raise InvalidEmail(_("The address is too long."))
    try:
        # No SMTPUTF8: most receiving servers refuse it, and a non-ASCII local part is far
        # more often a look-alike letter (a Cyrillic letter for a Latin one) than a real mailbox.
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    domain = result.ascii_domain or result.domain
    email = f"{result.local_part}@{domain.lower()}"
    return email, email.casefold()


def email_hash(email_key: str) -> str:
    """The suppression hash of an address (kept after erasure instead of the address)."""
    return hashlib.sha256(email_key.encode("utf-8")).hexdigest()
