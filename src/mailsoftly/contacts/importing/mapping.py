"""Which column feeds which contact field."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# Targets a column can map to, besides ``field:<key>`` for custom fields and "" (ignore).
BUILTIN_TARGETS = {
    "email": _("Email address"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "tags": _("Tags (comma-separated)"),
    "optin_time": _("Opt-in time"),
    "optin_ip": _("Opt-in IP address"),
}

# Normalised header -> target. Includes the columns of a Mailchimp audience export.
PRESETS = {
    "email": "email",
    "emailaddress": "email",
    "email_address": "email",
    "e_mail": "email",
    "mail": "email",
    "firstname": "first_name",
    "first_name": "first_name",
    "fname": "first_name",
    "givenname": "first_name",
    "vorname": "first_name",
    "lastname": "last_name",
    "last_name": "last_name",
    "lname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "nachname": "last_name",
    "tags": "tags",
    "optin_time": "optin_time",
    "optintime": "optin_time",
    "optin_ip": "optin_ip",
    "optinip": "optin_ip",
}


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def mapping_guess(*, header: list[str], custom_keys: dict[str, str]) -> dict[str, str]:
    """Column index (as str) -> target, guessed from the header names.

    ``custom_keys`` maps normalised key/label of each custom field to its key.
    """
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for index, name in enumerate(header):
        norm = _normalise(name)
        target = PRESETS.get(norm) or PRESETS.get(norm.replace("_", ""))
        if target is None and norm in custom_keys:
            target = f"field:{custom_keys[norm]}"
        if target and target not in used:
            guessed[str(index)] = target
            used.add(target)
    return guessed


def custom_key_index(custom_fields) -> dict[str, str]:
    index: dict[str, str] = {}
    for field in custom_fields:
        index[_normalise(field.key)] = field.key
        index[_normalise(field.label)] = field.key
    return index
