"""Forms of the contacts pages. They parse input; services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.contacts.models import (
    ContactStatus,
    FieldType,
    ImportMode,
    ListVisibility,
    SuppressionReason,
)


class ContactForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=320)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ContactStatus.choices, required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas.")
    )

    def __init__(self, *args, custom_fields=(), with_status=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_status:
            del self.fields["status"]
        self.custom_fields = list(custom_fields)
        for field in self.custom_fields:
            name = f"field_{field.key}"
            if field.field_type == FieldType.BOOLEAN:
                self.fields[name] = forms.BooleanField(label=field.label, required=False)
            elif field.field_type == FieldType.CHOICE:
                self.fields[name] = forms.ChoiceField(
                    label=field.label,
                    required=False,
                    choices=[("", "—"), *((c, c) for c in field.choices)],
                )
            elif field.field_type == FieldType.DATE:
                self.fields[name] = forms.CharField(
                    label=field.label,
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
            else:
                self.fields[name] = forms.CharField(label=field.label, required=False)

    def custom_values(self) -> dict:
        return {f.key: self.cleaned_data.get(f"field_{f.key}") for f in self.custom_fields}

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class ContactListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=ListVisibility.choices)
    double_opt_in = forms.BooleanField(
        label=_("Ask new subscribers to confirm by email (double opt-in)"), required=False
    )
    consent_text = forms.CharField(
        label=_("Consent text shown on the subscription form"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Say who you are, what you will send and how often. Subscribers see this text, "
            "and it is stored with each subscription."
        ),
    )


class CustomFieldForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    key = forms.CharField(
        label=_("Key"),
        max_length=64,
        required=False,
        help_text=_("Used in imports and merge tags; made from the label when empty."),
    )
    field_type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("For a choice field: one per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data.get("choices", "").splitlines() if c.strip()]


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    match = forms.ChoiceField(
        label=_("Contacts must match"),
        choices=[("all", _("all of the conditions")), ("any", _("any of the conditions"))],
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("The first row must name the columns. Up to 1 GB."),
    )


class ImportStartForm(forms.Form):
    mode = forms.ChoiceField(label=_("What to do"), choices=ImportMode.choices)
    contact_list = forms.TypedChoiceField(
        label=_("Add to list"), required=False, coerce=int, empty_value=None
    )
    consent_text = forms.CharField(
        label=_("How did these people agree to hear from you?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Stored as the consent record of every imported contact."),
    )

    def __init__(self, *args, lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_list"].choices = [("", "—"), *((cl.pk, cl.name) for cl in lists)]


class SuppressionForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=320)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[c for c in SuppressionReason.choices if c[0] != SuppressionReason.ERASED],
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=320)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    agree = forms.BooleanField(label=_("I agree"), required=True)
    # Honeypot: hidden from people, filled in by naive bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))
