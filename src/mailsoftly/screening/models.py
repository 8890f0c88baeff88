"""Screening rows.

* :class:`ScreeningResult` is workspace content (it carries the subject, sender and HTML
  that were screened), so it is regional: an EU workspace's results stay in the EU.
  One row per (workspace, content hash): an unchanged design is never screened twice.
* :class:`AccountRisk`, :class:`SignupRecord` and :class:`BlockedDomain` are platform
  data in the directory database: the operator queue and the sign-up signals are global,
  and they hold no campaign content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.tenancy import WorkspaceOwned


class Decision(models.TextChoices):
    PASS = "pass", _("Passed")
    HOLD = "hold", _("Held for review")
    BLOCK = "block", _("Blocked")


class Review(models.TextChoices):
    NONE = "none", _("No review needed")
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved by an operator")
    BLOCKED = "blocked", _("Blocked by an operator")


class ScreeningResult(WorkspaceOwned):
    """The verdict on one piece of content, and the operator's review of it."""

    content_hash = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=16)
    kind = models.CharField(max_length=16, default="campaign")  # campaign | test | content
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    decision = models.CharField(max_length=5, choices=Decision.choices)
    score = models.FloatField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    # What was screened, for the operator's preview (only shown in a sandboxed iframe).
    subject = models.TextField(blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    review = models.CharField(max_length=8, choices=Review.choices, default=Review.NONE)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    # A hold only because a check could not run (spamd down, a timeout) is screened again
    # by the ``screening.retry_due`` beat task at ``retry_at``, backing off per attempt.
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True)
    retry_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "content_hash"], name="screening_result_unique_content"
            )
        ]
        indexes = [models.Index(fields=["review", "created_at"], name="screening_review_queue")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.subject[:60]}"

    @property
    def effective_decision(self) -> str:
        """The operator's word wins over the machine's."""
        if self.review == Review.APPROVED:
            return Decision.PASS
        if self.review == Review.BLOCKED:
            return Decision.BLOCK
        return self.decision


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    ELEVATED = "elevated", _("Elevated")
    HIGH = "high", _("High")


class AccountRisk(models.Model):
    """A workspace's risk level from account and list signals. High risk holds every
    campaign for review; a suspended workspace cannot send at all."""

    workspace = models.OneToOneField(
        "teams.Workspace", on_delete=models.CASCADE, related_name="screening_risk"
    )
    level = models.CharField(max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW)
    score = models.FloatField(default=0)
    signals = models.JSONField(default=dict, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.level}"


class SignupRecord(models.Model):
    """One sign-up: where from, with which address domain. Feeds the velocity signals."""

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    workspace_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    ip_prefix = models.CharField(max_length=64, blank=True, db_index=True)
    email_domain = models.CharField(max_length=253, blank=True)
    disposable = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.ip_prefix} {self.email_domain}"


class BlockedDomain(models.Model):
    """A domain the operator never lets campaigns link to."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
