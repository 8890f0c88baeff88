"""Celery tasks of the webhooks app (ids in, idempotent)."""

from __future__ import annotations

from celery import shared_task

from mailsoftly.webhooks import services


@shared_task(name="webhooks.deliver")
def webhook_deliver_task(*, workspace_id: int, message_id: int) -> None:
    from mailsoftly.teams.models import Workspace
    from mailsoftly.webhooks.models import WebhookMessage

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    message = (
        WebhookMessage.objects.for_workspace(workspace)
        .select_related("endpoint")
        .filter(pk=message_id)
        .first()
    )
    if message is not None:
        services.webhook_deliver(message=message)


@shared_task(name="webhooks.retry_due")
def webhook_retry_due_task() -> int:
    from mailsoftly.core.regions import REGION_DATABASES

    return sum(services.webhook_retry_due(region=region) for region in REGION_DATABASES)
