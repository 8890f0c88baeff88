"""Operator-side records. All live in the directory database: they are about accounts,
not about a workspace's regional content."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageRecord(models.Model):
    """One signed-in request (P09, P10): when, who, where from and on what device."""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    workspace_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    browser = models.CharField(max_length=100, blank=True)
    os = models.CharField(max_length=100, blank=True)
    device_type = models.CharField(max_length=16, blank=True)
    location = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.path} at {self.at:%Y-%m-%d %H:%M}"


class SupportAccess(models.Model):
    """Staff opened an account or workspace for a stated reason (P14).

    One row per view or action; the account owner sees these on "Access history".
    """

    at = models.DateTimeField(db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_accesses"
    )
    workspace_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.action} {self.subject_id}: {self.reason}"


class PolicyKind(models.TextChoices):
    PRIVACY = "privacy", _("Privacy policy")
    TERMS = "terms", _("Terms of service")


class PolicyVersion(models.Model):
    """A published version of the privacy policy or the terms (P32, P41)."""

    kind = models.CharField(_("document"), max_length=16, choices=PolicyKind.choices)
    version = models.CharField(_("version"), max_length=24)
    body = models.TextField(_("text (Markdown)"))
    effective_at = models.DateTimeField(_("effective from"))
    material = models.BooleanField(_("material change"), default=False)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        null=True,
    )
    notices_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="ops_policy_kind_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    @property
    def acceptance_label(self) -> str:
        # PolicyAcceptance.policy_version holds the privacy version as-is (as sign-up does);
        # terms versions are prefixed so the two never collide.
        return self.version if self.kind == PolicyKind.PRIVACY else f"terms:{self.version}"[:32]
