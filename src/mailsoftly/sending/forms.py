from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mailsoftly.sending.models import DkimKey, SenderIdentity, SmtpServer


def _regional(form: forms.ModelForm, workspace) -> None:
    # Model validation (constraints) queries the table; say which region's database.
    if workspace is not None and form.instance._state.db is None:
        form.instance.workspace = workspace
        form.instance._state.db = workspace.database


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class SmtpServerForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = SmtpServer
        fields = [
            "name",
            "host",
            "port",
            "security",
            "username",
            "max_connections",
            "rate_limit_per_second",
            "is_default",
        ]

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        _regional(self, workspace)
        _bootstrap(self)


class SenderIdentityForm(forms.ModelForm):
    class Meta:
        model = SenderIdentity
        fields = ["from_name", "from_email", "reply_to"]

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        _regional(self, workspace)
        _bootstrap(self)


class DkimKeyForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253)
    selector = forms.CharField(
        label=_("Selector"), max_length=63, required=False, help_text=_("Optional.")
    )
    algorithm = forms.ChoiceField(label=_("Algorithm"), choices=DkimKey.Algorithm.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class TestSendForm(forms.Form):
    to_email = forms.EmailField(label=_("Send a test to"))
    from_email = forms.EmailField(label=_("From address"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
