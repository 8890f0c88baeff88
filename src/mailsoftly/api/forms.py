from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.api.services import ACCESS, RESOURCES


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[(f"{r}:{a}", f"{r}: {a}") for r in RESOURCES for a in ACCESS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Write includes read."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
