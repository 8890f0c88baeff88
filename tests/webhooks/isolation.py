"""Cross-workspace isolation for the webhook settings pages (P01, P02)."""

from __future__ import annotations

from mailsoftly.webhooks.models import MessageStatus, WebhookEndpoint, WebhookMessage
from tests.isolation.routes import route


def _endpoint(workspace):
    return WebhookEndpoint.objects.for_workspace(workspace).create(
        workspace=workspace,
        url="https://hooks.example.com/b",
        events=["contact.created"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )


@route("webhooks:endpoint_detail")
def _detail(workspace, user):
    return {"pk": _endpoint(workspace).pk}


@route("webhooks:endpoint_enable", methods=("post",))
def _enable(workspace, user):
    return {"pk": _endpoint(workspace).pk}


@route("webhooks:endpoint_trash", methods=("post",))
def _trash(workspace, user):
    return {"pk": _endpoint(workspace).pk}


@route("webhooks:message_retry", methods=("post",))
def _retry(workspace, user):
    message = WebhookMessage.objects.for_workspace(workspace).create(
        workspace=workspace,
        endpoint=_endpoint(workspace),
        msg_id="msg_isolation_ui",
        event="contact.created",
        payload={},
        status=MessageStatus.FAILED,
    )
    return {"pk": message.pk}
