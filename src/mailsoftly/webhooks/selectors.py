"""Reads of the webhooks app."""

from __future__ import annotations

from django.db.models import QuerySet

from mailsoftly.core.tenancy import access_object
from mailsoftly.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage


def webhook_endpoint_list(*, workspace) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_workspace(workspace).order_by("-id")


def access_webhook_endpoint(*, workspace, id) -> WebhookEndpoint:
    return access_object(WebhookEndpoint, workspace=workspace, id=id)


def access_webhook_message(*, workspace, id) -> WebhookMessage:
    return access_object(WebhookMessage, workspace=workspace, id=id)


def webhook_message_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookMessage]:
    return WebhookMessage.objects.for_workspace(endpoint.workspace).filter(endpoint=endpoint)


def webhook_attempt_list(*, message: WebhookMessage) -> QuerySet[WebhookAttempt]:
    return (
        WebhookAttempt.objects.for_workspace(message.workspace)
        .filter(message=message)
        .order_by("attempted_at", "id")
    )
