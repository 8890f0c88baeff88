from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.ops.models import PolicyKind


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (ticket reference)"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, email or id"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )


class PolicyPublishForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=PolicyKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    version = forms.SlugField(
        label=_("Version"), max_length=24, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    effective_at = forms.DateTimeField(
        label=_("Effective from"),
        widget=forms.DateTimeInput(attrs={"class": "form-control", "type": "datetime-local"}),
    )
    material = forms.BooleanField(
        label=_("Material change (notify every account)"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 14}),
    )


class NewsletterForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 12})
    )
