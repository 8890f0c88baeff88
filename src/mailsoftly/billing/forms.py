from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from mailsoftly.billing.taxids import TaxIdInvalid, tax_id_clean


class BillingProfileForm(forms.Form):
    name = forms.CharField(label=_("Name or company"), max_length=200)
    email = forms.EmailField(label=_("Billing email"), max_length=254)
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address (line 2)"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    state = forms.CharField(label=_("State or province"), max_length=100, required=False)
    country = LazyTypedChoiceField(label=_("Country"), choices=countries)
    tax_id = forms.CharField(
        label=_("Tax id (VAT number)"),
        max_length=40,
        required=False,
        help_text=_("Optional. Checked against the country's format."),
    )

    def clean(self):
        data = super().clean()
        if data.get("tax_id") and data.get("country"):
            try:
                data["tax_id"] = tax_id_clean(data["tax_id"], country=data["country"])
            except TaxIdInvalid as exc:
                self.add_error("tax_id", str(exc))
        return data


class PlanChoiceForm(forms.Form):
    plan = forms.SlugField(max_length=32)
