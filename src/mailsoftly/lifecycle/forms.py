from django import forms
from django.utils.translation import gettext_lazy as _


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_code = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account and the workspaces only I belong to will be "
            "deleted for good after 30 days."
        ),
    )

    def __init__(self, *args, needs_otp: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_otp:
            del self.fields["otp_code"]
