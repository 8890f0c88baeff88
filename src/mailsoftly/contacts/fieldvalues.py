"""Typed values of custom fields: one coercion per field type, shared by forms, import and
segments, so "42", "42.0" and 42 mean the same number everywhere."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from mailsoftly.contacts.models import FieldType

TRUE_WORDS = {"1", "true", "yes", "y", "on", "x", "ja", "oui", "si", "sí"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "", "nein", "non"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d", "%d/%m/%Y")
MAX_TEXT = 1000


def field_value_coerce(*, field_type: str, raw, choices: list[str] | None = None):
    """The JSON value stored for ``raw``; ``None`` for empty; ValueError with a user message."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
    match field_type:
        case FieldType.TEXT:
            text = str(raw)
            if len(text) > MAX_TEXT:
                raise ValueError(_("Text is longer than %(n)d characters.") % {"n": MAX_TEXT})
            return text
        case FieldType.NUMBER:
            if isinstance(raw, bool):
                raise ValueError(_("Not a number."))
            try:
                number = Decimal(str(raw).replace(",", ".") if isinstance(raw, str) else raw)
            except (InvalidOperation, ValueError, TypeError):
                raise ValueError(_("“%(v)s” is not a number.") % {"v": str(raw)[:50]}) from None
            if not number.is_finite():
                raise ValueError(_("Not a number."))
            return int(number) if number == number.to_integral_value() else float(number)
        case FieldType.DATE:
            if isinstance(raw, datetime.datetime):
                return raw.date().isoformat()
            if isinstance(raw, datetime.date):
                return raw.isoformat()
            text = str(raw)[:40]
            try:
                return datetime.date.fromisoformat(text[:10]).isoformat()
            except ValueError:
                pass
            for fmt in DATE_FORMATS:
                try:
                    return datetime.datetime.strptime(text[:10], fmt).date().isoformat()  # noqa: DTZ007 (a date)
                except ValueError:
                    continue
            raise ValueError(_("“%(v)s” is not a date (use YYYY-MM-DD).") % {"v": text})
        case FieldType.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(_("“%(v)s” is not yes or no.") % {"v": str(raw)[:50]})
        case FieldType.CHOICE:
            text = str(raw)
            if choices and text not in choices:
                raise ValueError(
                    _("“%(v)s” is not one of: %(choices)s.")
                    % {"v": text[:50], "choices": ", ".join(choices)}
                )
            return text
    raise ValueError(_("Unknown field type."))
