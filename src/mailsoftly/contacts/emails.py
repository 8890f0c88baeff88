"""Normalising and checking addresses: the single definition of "the same contact"."""

from __future__ import annotations

import hashlib
import re

from django.utils.translation import gettext as _
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

# A plainly valid address (dot-atom local part, LDH domain labels, alphabetic TLD) is
# recognised by this pattern in about a microsecond; email-validator takes ~17 us, which
# dominates a large import. The pattern accepts a strict subset of what email-validator
# accepts, with the same normalised result (tests/contacts/test_emails.py checks that
# property with hypothesis); every other address goes through email-validator.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(
    rf"(?P<local>{_ATEXT}+(?:\.{_ATEXT}+)*)@(?P<domain>(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{2,63}}))"
)
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _plain(value: str) -> str | None:
    match = _PLAIN.fullmatch(value)
    if match is None or len(value) > 254 or len(match["local"]) > 64:
        return None
    domain = match["domain"].lower()
    if "--" in domain or match["tld"].lower() in _SPECIAL or len(domain) > 253:
        return None
    return f"{match['local']}@{domain}"


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
    plain = _plain(value)
    if plain is not None:
        return plain, plain.casefold()
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
