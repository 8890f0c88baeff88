"""Transactional mail over the API: send one design to one address, and read its status.

``POST /transactional`` takes the ``Idempotency-Key`` header as the message's key: the
same key sends at most one message, whatever the number of calls or workers (the key is
unique per workspace in the database, not only in the gateway's response cache).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem, django_validation_errors
from mailsoftly.api.v1.common import In, need, workspace_of
from mailsoftly.campaigns import transactional
from mailsoftly.campaigns.compose import message_id
from mailsoftly.campaigns.selectors import access_transactional_delivery
from mailsoftly.designs import selectors as design_selectors

router = Router(tags=["transactional"])


class TransactionalIn(In):
    design_id: int
    to: str = Field(max_length=320, description="The recipient's address.")
    to_name: str = Field("", max_length=200)
    data: dict[str, Any] = Field(
        {}, description="Merge data, available in the design as contact.<name>."
    )


class TransactionalOut(Schema):
    id: int
    status: str
    reason: str
    to: str
    design_id: int | None
    idempotency_key: str
    message_id: str
    created_at: datetime
    sent_at: datetime | None


def _out(delivery) -> dict:
    stream = delivery.campaign
    domain = stream.from_email.rpartition("@")[2].lower()
    return {
        "id": delivery.pk,
        "status": delivery.status,
        "reason": delivery.reason,
        "to": delivery.email,
        "design_id": stream.design_id,
        "idempotency_key": delivery.idempotency_key or "",
        "message_id": message_id(campaign=stream, delivery_id=delivery.pk, domain=domain),
        "created_at": delivery.created_at,
        "sent_at": delivery.sent_at,
    }


@router.post(
    "/transactional",
    response={200: TransactionalOut, 202: TransactionalOut},
    url_name="transactional_send",
    summary="Send one design to one address",
    description=(
        "Queues the message on the transactional queue and answers 202. Send an "
        "`Idempotency-Key` header: a repeated call with the same key answers 200 with the "
        "first message and sends nothing. Only the suppression list stops a message; "
        "marketing consent does not apply."
    ),
)
def transactional_send(request, body: TransactionalIn):
    need(request, "transactional", "write")
    workspace = workspace_of(request)
    try:
        design = design_selectors.access_design(workspace=workspace, id=body.design_id)
    except Http404:
        raise ApiProblem(
            422,
            _("The request has invalid values."),
            slug="validation",
            errors=[{"field": "design_id", "message": _("No such design.")}],
        ) from None
    key = request.headers.get("Idempotency-Key", "").strip() or None
    try:
        delivery, created = transactional.transactional_send(
            workspace=workspace,
            design=design,
            to_email=body.to,
            to_name=body.to_name,
            data=body.data,
            idempotency_key=key,
        )
    except transactional.TransactionalConflict as exc:
        raise ApiProblem(409, " ".join(exc.messages), slug="idempotency-key-reused") from None
    except ValidationError as exc:
        raise ApiProblem(
            422,
            _("The request has invalid values."),
            slug="validation",
            errors=django_validation_errors(exc),
        ) from None
    return Status(202 if created else 200, _out(delivery))


@router.get(
    "/transactional/{int:delivery_id}",
    response=TransactionalOut,
    url_name="transactional_message",
    summary="A transactional message's status",
)
def transactional_get(request, delivery_id: int):
    need(request, "transactional", "read")
    delivery = access_transactional_delivery(workspace=workspace_of(request), id=delivery_id)
    return _out(delivery)
