from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.campaigns import selectors
from mailsoftly.sending import selectors as sending_selectors


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    design = forms.ModelChoiceField(label=_("Design"), queryset=None)
    sender = forms.ModelChoiceField(
        label=_("From"),
        queryset=None,
        required=False,
        empty_label=_("As set in the design"),
    )
    smtp_server = forms.ModelChoiceField(
        label=_("Sending server"),
        queryset=None,
        required=False,
        empty_label=_("Workspace default"),
    )
    list_ids = forms.TypedMultipleChoiceField(
        label=_("Send to lists"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    segment_id = forms.TypedChoiceField(
        label=_("Only contacts in segment"), coerce=int, required=False, empty_value=None
    )
    exclude_list_ids = forms.TypedMultipleChoiceField(
        label=_("Leave out members of"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude_segment_ids = forms.TypedMultipleChoiceField(
        label=_("Leave out contacts in segments"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["design"].queryset = selectors.design_choices(workspace=workspace)
        self.fields["sender"].queryset = sending_selectors.sender_identity_list(workspace=workspace)
        self.fields["smtp_server"].queryset = sending_selectors.smtp_server_list(
            workspace=workspace
        )
        lists = selectors.list_choices(workspace=workspace)
        self.fields["list_ids"].choices = lists
        self.fields["exclude_list_ids"].choices = lists
        segments = selectors.segment_choices(workspace=workspace)
        self.fields["segment_id"].choices = [("", _("No segment")), *segments]
        self.fields["exclude_segment_ids"].choices = segments
        for name, field in self.fields.items():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")

    def clean(self):
        data = super().clean()
        if not data.get("list_ids") and data.get("segment_id") is None:
            raise forms.ValidationError(_("Choose at least one list or a segment."))
        return data


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
