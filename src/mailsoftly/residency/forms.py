from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import Region


class RegionMoveForm(forms.Form):
    target = forms.ChoiceField(label=_("Move this workspace's data to"), choices=())
    confirm = forms.BooleanField(
        label=_("I understand the workspace is read-only while its data moves."),
        required=True,
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (value, label) for value, label in Region.choices if value != current
        ]
