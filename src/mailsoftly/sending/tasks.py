"""Tasks of the sending app. They take JSON values and are safe to run twice."""

from __future__ import annotations

import base64
import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="sending.bounce_process", acks_late=True)
def bounce_process_task(*, raw_b64: str, workspace_id: int | None = None) -> str:
    """Apply one inbound bounce or complaint (from the HTTP hook). Idempotent by the
    bounce's Message-ID, so a redelivered task changes nothing more."""
    from mailsoftly.sending.bounce_services import bounce_process

    outcome = bounce_process(raw=base64.b64decode(raw_b64), workspace_id=workspace_id)
    log.info("bounce %s: %s delivery=%s", outcome.bounce.kind, outcome.action, outcome.delivery_id)
    return outcome.action


@shared_task(
    name="sending.sns_subscription_confirm",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def sns_subscription_confirm_task(*, url: str) -> bool:
    """Visit the SubscribeURL Amazon SNS sent, which confirms the hook's subscription.

    Only an https URL on an ``amazonaws.com`` host is followed (checked again here)."""
    import urllib.request

    from mailsoftly.sending.hooks import sns_url_allowed

    if not sns_url_allowed(url):
        return False
    with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 (https checked)
        return 200 <= response.status < 300
