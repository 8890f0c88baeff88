"""Webhook endpoints, their messages and attempts, manual retry (the webhooks app)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem, django_validation_errors
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.webhooks import selectors, services

router = Router()


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    disabled_at: datetime | None
    disabled_reason: str
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret (Standard Webhooks); shown only here.")


class EndpointCreate(In):
    url: str = Field(max_length=2000)
    events: list[str] = Field(min_length=1, max_length=50)
    description: str = Field("", max_length=200)


class AttemptOut(Schema):
    attempted_at: datetime
    status_code: int | None
    success: bool
    latency_ms: int
    response_excerpt: str
    error: str


class MessageOut(Schema):
    id: int
    msg_id: str
    event: str
    status: str
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    attempts: list[AttemptOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


@router.get("/webhooks", response=list[EndpointOut], url_name="webhook_list", tags=["webhooks"])
def webhook_list(request):
    need(request, "webhooks", "read")
    return list(selectors.webhook_endpoint_list(workspace=workspace_of(request))[:200])


@router.post(
    "/webhooks", response={201: EndpointCreated}, url_name="webhook_create", tags=["webhooks"]
)
def webhook_create(request, body: EndpointCreate):
    need(request, "webhooks", "write")
    try:
        endpoint = services.webhook_endpoint_create(
            workspace=workspace_of(request), **body.model_dump()
        )
    except ValidationError as exc:
        raise ApiProblem(
            422,
            _("The request has invalid values."),
            slug="validation",
            errors=django_validation_errors(exc),
        ) from None
    return Status(201, endpoint)


@router.get(
    "/webhooks/{int:endpoint_id}", response=EndpointOut, url_name="webhook", tags=["webhooks"]
)
def webhook_get(request, endpoint_id: int):
    need(request, "webhooks", "read")
    return selectors.access_webhook_endpoint(workspace=workspace_of(request), id=endpoint_id)


@router.delete(
    "/webhooks/{int:endpoint_id}", response={204: None}, url_name="webhook", tags=["webhooks"]
)
def webhook_delete(request, endpoint_id: int):
    need(request, "webhooks", "write")
    endpoint = selectors.access_webhook_endpoint(workspace=workspace_of(request), id=endpoint_id)
    services.webhook_endpoint_trash(endpoint=endpoint, by_user=request.api_key.created_by)
    return Status(204, None)


@router.post(
    "/webhooks/{int:endpoint_id}/enable",
    response=EndpointOut,
    url_name="webhook_enable",
    tags=["webhooks"],
)
def webhook_enable(request, endpoint_id: int):
    need(request, "webhooks", "write")
    endpoint = selectors.access_webhook_endpoint(workspace=workspace_of(request), id=endpoint_id)
    services.webhook_endpoint_enable(endpoint=endpoint)
    endpoint.refresh_from_db()
    return endpoint


def _message(message) -> dict:
    return {
        **{f: getattr(message, f) for f in MessageOut.model_fields if f != "attempts"},
        "attempts": list(selectors.webhook_attempt_list(message=message)[:50]),
    }


@router.get(
    "/webhooks/{int:endpoint_id}/messages",
    response=MessagePage,
    url_name="webhook_messages",
    tags=["webhooks"],
)
def webhook_messages(request, endpoint_id: int, cursor: str | None = None, limit: int = 20):
    need(request, "webhooks", "read")
    endpoint = selectors.access_webhook_endpoint(workspace=workspace_of(request), id=endpoint_id)
    rows, following = paginate(
        selectors.webhook_message_list(endpoint=endpoint),
        cursor=cursor,
        limit=min(limit, 50) if limit > 0 else limit,
        sort="-id",
        sortable={"id": "pk"},
    )
    return {"items": [_message(m) for m in rows], "next_cursor": following}


@router.post(
    "/webhook-messages/{int:message_id}/retry",
    response=MessageOut,
    url_name="webhook_message_retry",
    tags=["webhooks"],
)
def webhook_message_retry(request, message_id: int):
    need(request, "webhooks", "write")
    message = selectors.access_webhook_message(workspace=workspace_of(request), id=message_id)
    services.webhook_message_retry(message=message)
    message.refresh_from_db()
    return _message(message)
