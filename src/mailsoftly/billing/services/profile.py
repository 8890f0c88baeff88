"""The billing profile (policy P06): who pays, where. Its country is the workspace location."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries

from mailsoftly.billing import selectors
from mailsoftly.billing.errors import BillingError
from mailsoftly.billing.models import BillingProfile
from mailsoftly.billing.services.lifecycle import _audit, _require_billing_admin
from mailsoftly.billing.taxids import TaxIdInvalid, tax_id_clean

REQUIRED = {"name": 200, "email": 254, "line1": 200, "city": 100}
OPTIONAL = {"line2": 200, "postal_code": 20, "state": 100}


def billing_profile_save(
    *,
    workspace,
    actor,
    name: str,
    email: str,
    line1: str,
    city: str,
    country: str,
    line2: str = "",
    postal_code: str = "",
    state: str = "",
    tax_id: str = "",
) -> tuple[BillingProfile, str]:
    """Save the billing profile; returns it and the data region its country proposes.

    The country becomes the workspace's location. A workspace's data region is chosen when
    it is created and never changes silently, so the proposal is shown, not applied.
    """
    _require_billing_admin(workspace=workspace, actor=actor)
    values = {"name": name, "email": email, "line1": line1, "city": city}
    values.update({"line2": line2, "postal_code": postal_code, "state": state})
    values = {key: str(value or "").strip() for key, value in values.items()}
    for field, limit in {**REQUIRED, **OPTIONAL}.items():
        if field in REQUIRED and not values[field]:
            raise BillingError(_("This field is required."), field=field)
        if len(values[field]) > limit:
            raise BillingError(
                _("Use at most %(limit)s characters.") % {"limit": limit}, field=field
            )
    try:
        validate_email(values["email"])
    except ValidationError:
        raise BillingError(_("Enter a valid email address."), field="email") from None
    code = str(country or "").strip().upper()
    if code not in dict(countries):
        raise BillingError(_("Choose a country from the list."), field="country")
    try:
        values["tax_id"] = tax_id_clean(tax_id, country=code)
    except TaxIdInvalid as exc:
        raise BillingError(str(exc), field="tax_id") from None
    with transaction.atomic():
        profile, created = BillingProfile.objects.update_or_create(
            workspace=workspace, defaults={**values, "country": code}
        )
        _audit(
            workspace=workspace,
            actor=actor,
            action="billing.profile_saved",
            after={"country": code, "created": created},
        )
    return profile, selectors.region_proposed_for_country(code)
