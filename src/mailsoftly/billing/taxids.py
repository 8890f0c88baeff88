"""Tax id validation through python-stdnum, by billing country."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module

from mailsoftly.billing.selectors import EU_COUNTRIES

# The national numbers a business is invoiced under, tried in this order.
_KINDS = ("vat", "gst", "ein", "abn", "bn", "tin")
_PLAIN = re.compile(r"^[A-Za-z0-9 .\-/]{2,40}$")


class TaxIdInvalid(ValueError):
    pass


def tax_id_clean(value: str, *, country: str) -> str:
    """The tax id in compact form, or :class:`TaxIdInvalid` with a message for the field."""
    value = (value or "").strip()
    if not value:
        return ""
    country = (country or "").upper()
    if country in EU_COUNTRIES:
        prefix = "EL" if country == "GR" else country
        for candidate in (value, prefix + value):
            try:
                return eu_vat.validate(candidate)
            except StdnumError:
                continue
        raise TaxIdInvalid(
            _("This is not a valid EU VAT number for the country chosen (for example %(example)s).")
            % {"example": f"{prefix}123456789"}
        )
    modules = [m for m in (get_cc_module(country.lower(), k) for k in _KINDS) if m is not None]
    for module in modules:
        try:
            return module.validate(value)
        except StdnumError:
            continue
    if modules:
        raise TaxIdInvalid(_("This is not a valid tax id for the country chosen."))
    if not _PLAIN.match(value):
        raise TaxIdInvalid(_("Use letters, digits, spaces, dots, dashes or slashes only."))
    return value
