"""Webhook endpoints, the messages sent to them and every delivery attempt (regional)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.crypto import EncryptedTextField
from mailsoftly.core.tenancy import WorkspaceOwned

EVENTS = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.unsubscribed",
    "contact.bounced",
    "contact.complained",
    "delivery.sent",
    "delivery.opened",
    "delivery.clicked",
    "campaign.started",
    "campaign.paused",
    "campaign.finished",
    "import.finished",
)


class WebhookEndpoint(WorkspaceOwned):
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = EncryptedTextField()
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.url


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookMessage(WorkspaceOwned):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    msg_id = models.CharField(max_length=40, unique=True)
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event} {self.msg_id}"


class WebhookAttempt(WorkspaceOwned):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    success = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code or self.error}"
