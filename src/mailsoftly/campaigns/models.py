"""Campaigns and their deliveries.

A :class:`Campaign` sends one design to an audience (lists, optionally narrowed by a
segment, minus excluded lists and segments). When sending starts, its content is frozen onto the
campaign and its audience is frozen into :class:`Delivery` rows: one per (campaign,
contact), unique, and also unique per address. A Delivery is the unit of exactly-once
sending (see :mod:`mailsoftly.campaigns.store`) and the anchor of later events.

Transactional mail (:mod:`mailsoftly.campaigns.transactional`) reuses both: each design
sent transactionally has one hidden ``transactional`` campaign (its stream), and each
send is one Delivery of that stream, keyed by an idempotency key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.tenancy import WorkspaceOwned


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class CampaignKind(models.TextChoices):
    REGULAR = "regular", _("Campaign")
    # One per (workspace, design): the stream that transactional sends of that design go
    # through, so their deliveries get tracking, bounces and a report like any campaign's.
    TRANSACTIONAL = "transactional", _("Transactional")


EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
FINISHED = (CampaignStatus.SENT, CampaignStatus.CANCELLED, CampaignStatus.FAILED)


class Campaign(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        max_length=13, choices=CampaignKind.choices, default=CampaignKind.REGULAR, editable=False
    )
    design = models.ForeignKey(
        "designs.Design",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("design"),
    )
    sender = models.ForeignKey(
        "sending.SenderIdentity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("from"),
    )
    smtp_server = models.ForeignKey(
        "sending.SmtpServer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sending server"),
    )
    # Ids of regional rows, kept as JSON so no join table lands in the directory database.
    list_ids = models.JSONField(default=list, blank=True)
    exclude_list_ids = models.JSONField(default=list, blank=True)
    segment_id = models.BigIntegerField(null=True, blank=True)
    exclude_segment_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(blank=True)
    # Frozen when sending starts: later edits to the design do not change what goes out.
    frozen_at = models.DateTimeField(null=True, blank=True)
    audience_complete = models.BooleanField(default=False)
    content_subject = models.TextField(blank=True)
    content_html = models.TextField(blank=True)
    content_text = models.TextField(blank=True)
    from_name = models.CharField(max_length=120, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    reply_to = models.CharField(max_length=320, blank=True)
    # Counters, written by the store from the delivery rows.
    total_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    bounced_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "design"],
                condition=models.Q(kind="transactional", trashed_at__isnull=True),
                name="campaign_one_stream_per_design",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def done_count(self) -> int:
        return self.sent_count + self.failed_count + self.bounced_count + self.skipped_count

    @property
    def rate_per_second(self) -> float | None:
        """Messages handled per second since sending started (None before any)."""
        from mailsoftly.core import clock

        if not self.started_at or not self.done_count:
            return None
        end = self.finished_at or clock.now()
        seconds = max((end - self.started_at).total_seconds(), 1.0)
        return self.done_count / seconds

    @property
    def seconds_remaining(self) -> int | None:
        rate = self.rate_per_second
        if rate is None or self.status != CampaignStatus.SENDING:
            return None
        return round(max(self.total_count - self.done_count, 0) / rate)

    @property
    def progress_percent(self) -> int:
        if not self.total_count:
            return 0
        return min(100, round(100 * self.done_count / self.total_count))


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SKIPPED = "skipped", _("Skipped")


class Delivery(WorkspaceOwned):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(max_length=320)
    email_key = models.CharField(max_length=320)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Transactional sends only: the caller's key (exactly one delivery per key and
    # workspace) and the merge data given with the request. Campaign rows leave both null.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    merge_data = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["id"]
        constraints = [
            # A campaign mails each contact and each address once; a transactional stream
            # mails an address as often as it is asked to, once per idempotency key.
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=models.Q(idempotency_key__isnull=True),
                name="delivery_once_per_contact",
            ),
            models.UniqueConstraint(
                fields=["campaign", "email_key"],
                condition=models.Q(idempotency_key__isnull=True),
                name="delivery_once_per_address",
            ),
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="delivery_once_per_key",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status", "id"], name="delivery_claim")]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"
