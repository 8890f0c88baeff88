"""Accounts and the consent records made at sign-up and in My Account.

Everything here lives in the directory database: an account is global, its workspaces
are what carry a region.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


def identity_key(value: str) -> str:
    """The form of a username or address that two look-alike spellings share.

    NFKC folds compatibility characters (full-width letters, ligatures) onto their plain
    forms and casefold() is the Unicode-aware lower(), so full-width "BOB", "Bob" and "bob" collide.
    """
    return unicodedata.normalize("NFKC", value or "").casefold().strip()


class User(AbstractUser):
    """An account. Lives in the directory database; workspaces hold everything it makes."""

    email = models.EmailField(_("email address"), max_length=254)
    username_key = models.CharField(max_length=300, unique=True, null=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="en")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # Current state of platform-marketing consent. The ledger (MarketingConsent) is the
    # record of how it got there; both are written together by the services.
    marketing_opt_in = models.BooleanField(_("product news by email"), default=False)
    # First-touch referral data (policy P11), copied from the session at sign-up.
    first_touch_referrer = models.CharField(max_length=500, blank=True)
    first_touch_landing = models.CharField(max_length=500, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    # Bumped to end every other session at once (2FA enabled, account disabled).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def save(self, *args, **kwargs):
        # A derived column, kept next to the value it is derived from so no write path
        # (admin, factories, allauth) can forget it.
        self.username_key = identity_key(self.username) or None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_key"}
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None):
        # Django ends sessions whose stored hash no longer matches; mixing the epoch in
        # lets us end them without touching the password.
        return salted_hmac(
            "mailsoftly.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class PolicyAcceptance(models.Model):
    """One "I agree" to a version of the privacy policy (P41)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances"
    )
    policy_version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=32, default="signup")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.policy_version} at {self.accepted_at:%Y-%m-%d}"


class ConsentSource(models.TextChoices):
    SIGNUP = "signup", _("Sign-up form")
    MY_ACCOUNT = "my_account", _("My Account")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    COOKIE_BANNER = "cookie_banner", _("Cookie banner")
    STAFF = "staff", _("Staff")


class ConsentPurpose(models.TextChoices):
    """What a :class:`ConsentRecord` is about. Marketing mail has its own ledger
    (:class:`MarketingConsent`) and the policy "I agree" is :class:`PolicyAcceptance`."""

    COOKIES = "cookies", _("Non-essential cookies")
    THIRD_PARTY_SHARING = "third_party_sharing", _("Sharing my contact details with partners")


class MarketingConsent(models.Model):
    """The consent ledger for the platform's own promotional mail (P19). Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="marketing_consents"
    )
    granted = models.BooleanField()
    source = models.CharField(max_length=32, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    consent_text = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        state = "granted" if self.granted else "withdrawn"
        return f"{self.user_id} {state} via {self.source}"


class AppendOnlyError(Exception):
    """A ledger row was about to be changed or deleted in place."""


class ConsentRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The consent ledger is append-only: add a new record instead.")

    def delete(self):
        # Deleting the account cascades (the lifecycle purge); nothing else deletes.
        raise AppendOnlyError("The consent ledger is append-only.")


class ConsentRecord(models.Model):
    """The consent ledger for cookie choices and third-party sharing (P20, P33, P41).

    Append-only: every choice, given or withdrawn, is a new row with the time, where it
    was made, the IP and the exact wording shown. The newest row for a purpose is the
    choice in force. A visitor who is not signed in is identified by a hash of the
    session (never the session key itself).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="consent_records",
        null=True,
        blank=True,
    )
    session_ref = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(max_length=32, choices=ConsentPurpose.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=32, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    consent_text = models.CharField(max_length=500, blank=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        state = "granted" if self.granted else "withdrawn"
        return f"{self.user_id or self.session_ref[:8]} {self.purpose} {state} via {self.source}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("The consent ledger is append-only: add a new record instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The consent ledger is append-only.")
