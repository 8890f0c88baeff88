"""Sign-up, sign-in and My Account forms.

The sign-up forms (password and social) add the age confirmation, the privacy-policy
acceptance and the marketing choice; nothing is written unless all of it validates.
"""

from __future__ import annotations

import unicodedata
import zoneinfo

from allauth.account import forms as account_forms
from allauth.socialaccount import forms as social_forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.urls import reverse_lazy
from django.utils.encoding import punycode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from mailsoftly.accounts import cookies, services
from mailsoftly.accounts.middleware import FIRST_TOUCH_SESSION_KEY
from mailsoftly.accounts.models import User, identity_key

USERNAME_MAX = 150
EMAIL_MAX = 254
PASSWORD_MAX = 1024


def reject_line_breaks(value: str) -> None:
    """Header injection guard: a username or address lands in mail headers."""
    if any(ch in value for ch in "\r\n\x00\u2028\u2029\x85"):
        raise ValidationError(_("Line breaks are not allowed here."), code="line_break")


class NormalizedCharField(forms.CharField):
    """Rejects line breaks before stripping and folds look-alikes (NFKC)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {"max_length": _("This is too long: at most %(limit_value)d characters.")},
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            reject_line_breaks(value)
            value = unicodedata.normalize("NFKC", value)
        return super().to_python(value)


class NormalizedEmailField(forms.EmailField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Email"))
        kwargs.setdefault("max_length", EMAIL_MAX)
        kwargs.setdefault(
            "widget", forms.EmailInput(attrs={"autocomplete": "email", "maxlength": EMAIL_MAX})
        )
        kwargs.setdefault(
            "error_messages",
            {"max_length": _("This address is too long: at most %(limit_value)d characters.")},
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            reject_line_breaks(value)
            value = unicodedata.normalize("NFKC", value)
        return super().to_python(value)

    def clean(self, value):
        value = super().clean(value).lower()
        # The mail to this address must be sendable: a domain that IDNA cannot encode
        # (e.g. ending in a bidi control character) would fail only when mailed.
        if value:
            try:
                punycode(value.rpartition("@")[2])
            except UnicodeError:
                raise forms.ValidationError(
                    _("Enter a valid email address."), code="invalid"
                ) from None
        return value


class ConsentFieldsMixin(forms.Form):
    """The questions every new account answers, whichever way it signs up."""

    age_confirmed = forms.BooleanField(
        label=_("I am 13 years of age or older."),
        required=True,
        error_messages={
            "required": _(
                "Mailsoftly is not for children under 13. We cannot create an account "
                "for you and have not stored anything you entered."
            )
        },
    )
    accept_privacy = forms.BooleanField(
        label=_("I have read and accept the privacy policy."),
        required=True,
        error_messages={"required": _("Please accept the privacy policy to create an account.")},
        help_text=format_lazy(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse_lazy("accounts:privacy_policy"),
            _("Read the privacy policy (opens in a new tab)"),
        ),
    )
    marketing_opt_in = forms.BooleanField(
        label=_(
            "Send me occasional news about Mailsoftly products and offers. "
            "I can unsubscribe at any time."
        ),
        required=False,
        initial=False,
    )
    consent_field_names = ("age_confirmed", "accept_privacy", "marketing_opt_in")

    def signup(self, request, user) -> None:
        """allauth's hook, called inside :meth:`save` once the user row exists."""
        from allauth.account.adapter import get_adapter

        services.account_signup_record(
            user=user,
            ip_address=get_adapter().client_ip(request),
            marketing_opt_in=bool(self.cleaned_data.get("marketing_opt_in")),
            first_touch=request.session.get(FIRST_TOUCH_SESSION_KEY),
            cookie_choice=cookies.cookie_choice_bool(request),
        )
        request.session.pop(FIRST_TOUCH_SESSION_KEY, None)

    def _setup_identity_fields(self) -> None:
        self.fields["username"] = NormalizedCharField(
            label=_("Username"),
            min_length=settings.ACCOUNT_USERNAME_MIN_LENGTH,
            max_length=USERNAME_MAX,
            widget=forms.TextInput(attrs={"autocomplete": "username", "maxlength": USERNAME_MAX}),
            validators=User._meta.get_field("username").validators,
        )
        self.fields["email"] = NormalizedEmailField(required=True)
        order = ["username", "email", "password1", "password2", *self.consent_field_names]
        self.order_fields([name for name in order if name in self.fields])

    def save(self, request):
        with transaction.atomic():
            return super().save(request)


class SignupForm(ConsentFieldsMixin, account_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_identity_fields()
        for name in ("password1", "password2"):
            if name in self.fields:
                self.fields[name].validators.append(
                    MaxLengthValidator(
                        PASSWORD_MAX,
                        message=_("This password is too long: at most %(limit_value)d characters."),
                    )
                )


class SocialSignupForm(ConsentFieldsMixin, social_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_identity_fields()


class LoginForm(account_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username or email")
        self.fields["login"].validators += [
            reject_line_breaks,
            MaxLengthValidator(
                EMAIL_MAX, message=_("This is too long: at most %(limit_value)d characters.")
            ),
        ]
        if "remember" in self.fields:
            self.fields["remember"].label = _("Keep me signed in for two weeks")
            self.fields["remember"].initial = False


class ResetPasswordForm(account_forms.ResetPasswordForm):
    """Password reset that never says whether an address has an account.

    Sign-up still names a taken address next to the field (ACCOUNT_PREVENT_ENUMERATION
    is off for that), but the reset form is the one anyone can probe anonymously and
    in bulk. So it answers every well-formed address the same way, with the same page
    and exactly one mail: the reset link when an active account has the address, and
    allauth's "no account with this address" mail otherwise, which only the mailbox
    owner reads. allauth's per-IP and per-address rate limits cap the mail volume.
    """

    email = NormalizedEmailField(required=True)

    def clean_email(self) -> str:
        from allauth.account.adapter import get_adapter
        from allauth.account.internal.userkit import filter_users_by_email

        email = get_adapter().clean_email(self.cleaned_data["email"])
        self.users = filter_users_by_email(
            email, is_active=True, prefer_verified=True, for_login=True
        )
        return email


def _language_choices():
    return [(code, name) for code, name in settings.LANGUAGES]


def _timezone_choices():
    names = sorted(zoneinfo.available_timezones() | {"UTC"})
    return [(name, name.replace("_", " ")) for name in names]


class PreferencesForm(forms.Form):
    username = NormalizedCharField(
        label=_("Username"),
        min_length=3,
        max_length=USERNAME_MAX,
        validators=User._meta.get_field("username").validators,
        widget=forms.TextInput(attrs={"autocomplete": "username", "maxlength": USERNAME_MAX}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=_timezone_choices)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].lower()
        taken = (
            User.objects.filter(username_key=identity_key(username))
            .exclude(pk=self.user.pk)
            .exists()
        )
        if taken:
            raise ValidationError(_("A user with that username already exists."), code="taken")
        return username


class CommunicationForm(forms.Form):
    marketing_opt_in = forms.BooleanField(
        label=_(
            "Send me occasional news about Mailsoftly products and offers. "
            "I can unsubscribe at any time."
        ),
        required=False,
    )


class SharingForm(forms.Form):
    third_party_sharing = forms.BooleanField(
        label=_(
            "Mailsoftly may give my name and email address to selected partners so they "
            "can tell me about their products. I can withdraw this at any time."
        ),
        required=False,
    )


class WithdrawConsentForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this closes my account and signs me out."),
        required=True,
        error_messages={"required": _("Please confirm that you want to close your account.")},
    )
