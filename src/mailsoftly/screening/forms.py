from django import forms
from django.utils.translation import gettext_lazy as _


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve: it may be sent")),
            ("block", _("Block: it must not be sent")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment for the sender"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when blocking: say what to change."),
    )

    suspend = forms.BooleanField(
        label=_("Also suspend this account from sending"),
        required=False,
        help_text=_("Only with a block: every campaign and test send of the account stops."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "block" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why, so the sender can fix it."))
        if data.get("suspend") and data.get("decision") != "block":
            self.add_error("suspend", _("An account is suspended only together with a block."))
        return data
