from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.webhooks.models import EVENTS


class EndpointForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=[(e, e) for e in EVENTS], widget=forms.CheckboxSelectMultiple
    )
