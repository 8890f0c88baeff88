"""Gateway webhooks: verified, applied once per event id, and every refusal logged.

* Not genuine (bad or missing signature, stale or future timestamp, not an event):
  :class:`WebhookRejected`, answered 400, logged at WARNING.
* Seen before (same gateway event id): a no-op, logged.
* Unknown type, unknown customer, a customer that belongs to another workspace than the
  event claims, or older than the state already applied (out of order): recorded as
  ignored, answered 200 so the gateway stops retrying, logged.

Logs carry event ids, types and workspace ids only: never payloads, never secrets.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from mailsoftly.billing import selectors
from mailsoftly.billing.errors import GatewayError, WebhookRejected
from mailsoftly.billing.gateways import gateway_get
from mailsoftly.billing.gateways.base import Event, Kind
from mailsoftly.billing.models import (
    EventOutcome,
    GatewayEvent,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from mailsoftly.billing.services import notices
from mailsoftly.core import clock

log = logging.getLogger("mailsoftly.billing.webhooks")

_STATE_KINDS = {
    Kind.CHECKOUT_COMPLETED,
    Kind.SUBSCRIPTION_UPDATED,
    Kind.SUBSCRIPTION_DELETED,
    Kind.INVOICE_PAID,
    Kind.INVOICE_FAILED,
}


class _Ignore(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def webhook_handle(*, gateway_name: str, payload: bytes, headers: Mapping[str, str]) -> str:
    """Verify one webhook delivery and apply it at most once. Returns the outcome.

    Raises :class:`WebhookRejected` for anything not genuine (the view answers 400).
    """
    try:
        gateway = gateway_get(gateway_name)
        event = _clean(gateway.webhook_parse(payload=payload, headers=headers))
    except WebhookRejected as exc:
        log.warning(
            "billing webhook rejected", extra={"gateway": gateway_name[:20], "why": str(exc)}
        )
        raise
    try:
        with transaction.atomic():
            # The event row goes in first: a concurrent second delivery fails on the unique
            # constraint and rolls back instead of applying the event twice.
            record = GatewayEvent.objects.create(
                gateway=gateway.name,
                event_id=event.id,
                event_type=event.raw_type,
                event_created=event.created,
                received_at=clock.now(),
                outcome=EventOutcome.PROCESSED,
            )
            try:
                with transaction.atomic():
                    workspace_id = _apply(gateway.name, event)
                record.workspace_id = workspace_id
            except _Ignore as ignored:
                record.outcome = EventOutcome.IGNORED
                record.reason = ignored.reason[:200]
            record.save(update_fields=["workspace", "outcome", "reason"])
    except IntegrityError:
        log.info(
            "billing webhook replayed",
            extra={"gateway": gateway.name, "event_id": event.id, "type": event.raw_type},
        )
        return "duplicate"
    level = logging.INFO if record.outcome == EventOutcome.PROCESSED else logging.WARNING
    log.log(
        level,
        "billing webhook %s",
        record.outcome,
        extra={
            "gateway": gateway.name,
            "event_id": event.id,
            "type": event.raw_type,
            "workspace_id": record.workspace_id,
            "why": record.reason,
        },
    )
    return str(record.outcome)


def _clean(event: Event) -> Event:
    """No NUL characters (PostgreSQL text refuses them) and amounts that fit the column."""

    def text(value):
        return value.replace("\x00", "") if isinstance(value, str) else value

    invoice = event.invoice
    if invoice is not None:
        fields = {f.name: text(getattr(invoice, f.name)) for f in dataclasses.fields(invoice)}
        fields["amount_cents"] = max(-(2**31), min(2**31 - 1, int(invoice.amount_cents)))
        invoice = dataclasses.replace(invoice, **fields)
    values = {f.name: text(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return dataclasses.replace(event, **{**values, "invoice": invoice})


def _apply(gateway_name: str, event: Event) -> int:
    if event.kind == Kind.UNKNOWN:
        raise _Ignore(f"unhandled event type {event.raw_type}")
    sub = (
        Subscription.objects.select_for_update()
        .select_related("plan", "workspace")
        .filter(gateway=gateway_name, customer_id=event.customer_id)
        .first()
        if event.customer_id
        else None
    )
    if sub is None:
        raise _Ignore("customer unknown here")
    if event.workspace_ref and event.workspace_ref != str(sub.workspace_id):
        raise _Ignore("customer belongs to another workspace than the event names")
    if (
        event.subscription_id
        and sub.subscription_id
        and event.kind != Kind.CHECKOUT_COMPLETED
        and event.subscription_id != sub.subscription_id
    ):
        raise _Ignore("not the workspace's current subscription")
    stale = (
        event.kind in _STATE_KINDS
        and sub.last_event_at is not None
        and event.created < sub.last_event_at
    )
    handler = {
        Kind.CHECKOUT_COMPLETED: _checkout_completed,
        Kind.SUBSCRIPTION_UPDATED: _subscription_updated,
        Kind.SUBSCRIPTION_DELETED: _subscription_deleted,
        Kind.INVOICE_PAID: _invoice_paid,
        Kind.INVOICE_FAILED: _invoice_failed,
        Kind.PAYMENT_METHOD: _payment_method,
    }[event.kind]
    if stale and event.kind not in (Kind.INVOICE_PAID, Kind.INVOICE_FAILED):
        raise _Ignore("older than the subscription state already applied")
    handler(sub, event, stale=stale)
    if event.kind in _STATE_KINDS and not stale:
        sub.last_event_at = event.created
        sub.save(update_fields=["last_event_at", "updated_at"])
    return sub.workspace_id


def _plan_of(event: Event):
    return selectors.plan_by_gateway_price(price_id=event.price_id) or (
        selectors.plan_get(code=event.plan_code) if event.plan_code else None
    )


def _downgrade(sub: Subscription, *, reason: str) -> None:
    was_paid = not sub.plan.is_free
    sub.plan = selectors.plan_free()
    sub.status = SubscriptionStatus.CANCELED
    sub.subscription_id = ""
    sub.cancel_at_period_end = False
    sub.grace_until = None
    sub.save()
    if was_paid:
        notices.notice_downgraded(workspace=sub.workspace, reason=reason)
    _audit(sub, "billing.downgraded_to_free", {"reason": reason})


def _audit(sub: Subscription, action: str, after: dict) -> None:
    from mailsoftly.audit.services import audit_record

    audit_record(
        workspace=sub.workspace,
        action=action,
        target=("billing.subscription", sub.pk, sub.plan.name),
        after=after,
    )


def _checkout_completed(sub: Subscription, event: Event, *, stale: bool) -> None:
    plan = _plan_of(event)
    if plan is None:
        raise _Ignore("checkout for a plan we do not know")
    sub.plan = plan
    sub.status = SubscriptionStatus.ACTIVE
    sub.subscription_id = event.subscription_id
    sub.current_period_end = event.current_period_end or sub.current_period_end
    sub.cancel_at_period_end = False
    sub.grace_until = None
    sub.save()
    _audit(sub, "billing.subscribed", {"plan": plan.code})


def _subscription_updated(sub: Subscription, event: Event, *, stale: bool) -> None:
    if not sub.subscription_id:
        if not event.raw_type.endswith(".created") or not event.subscription_id:
            # After a downgrade a late update of the old subscription must not revive it.
            raise _Ignore("the workspace has no current subscription")
        # "created" can arrive before "checkout completed": take the id from it.
        sub.subscription_id = event.subscription_id
    if event.status in ("canceled", "incomplete_expired"):
        _downgrade(sub, reason="The subscription was canceled.")
        return
    if event.status not in ("active", "trialing", "past_due", "unpaid"):
        # "incomplete": nothing is paid yet, so nothing changes here.
        raise _Ignore(f"subscription status {event.status[:20]!r} changes nothing")
    plan = _plan_of(event)
    if plan is not None and plan.pk != sub.plan_id:
        _audit(sub, "billing.plan_changed", {"from": sub.plan.code, "to": plan.code})
        sub.plan = plan
    if event.status in ("active", "trialing"):
        sub.status = SubscriptionStatus.ACTIVE
        sub.grace_until = None
    elif event.status in ("past_due", "unpaid"):
        sub.status = SubscriptionStatus.PAST_DUE
        sub.grace_until = sub.grace_until or clock.now() + timedelta(
            days=settings.BILLING_GRACE_DAYS
        )
    sub.current_period_end = event.current_period_end or sub.current_period_end
    sub.cancel_at_period_end = event.cancel_at_period_end
    sub.save()


def _subscription_deleted(sub: Subscription, event: Event, *, stale: bool) -> None:
    if sub.status == SubscriptionStatus.CANCELED:
        raise _Ignore("already on the free plan")
    _downgrade(sub, reason="The subscription has ended.")


def _invoice_upsert(sub: Subscription, event: Event, *, paid: bool) -> tuple[Invoice, bool]:
    data = event.invoice
    if data is None or not data.invoice_id:
        raise _Ignore("invoice event without an invoice")
    invoice, _created = Invoice.objects.get_or_create(
        gateway=sub.gateway,
        invoice_id=data.invoice_id,
        defaults={
            "workspace_id": sub.workspace_id,
            "status": InvoiceStatus.OPEN,
            "issued_at": event.created,
        },
    )
    if invoice.workspace_id != sub.workspace_id:
        raise _Ignore("invoice belongs to another workspace")
    became_paid = paid and invoice.status != InvoiceStatus.PAID
    invoice.number = data.number or invoice.number
    invoice.plan_name = sub.plan.name
    invoice.amount_cents = data.amount_cents
    invoice.currency = data.currency
    invoice.period_start = data.period_start
    invoice.period_end = data.period_end
    invoice.pdf_url = data.pdf_url or invoice.pdf_url
    invoice.hosted_url = data.hosted_url or invoice.hosted_url
    if paid:
        invoice.status = InvoiceStatus.PAID
    invoice.save()
    return invoice, became_paid


def _invoice_paid(sub: Subscription, event: Event, *, stale: bool) -> None:
    invoice, became_paid = _invoice_upsert(sub, event, paid=True)
    if became_paid:
        notices.notice_invoice(workspace=sub.workspace, invoice=invoice)
    if stale:
        return
    if sub.status == SubscriptionStatus.PAST_DUE:
        sub.status = SubscriptionStatus.ACTIVE
        sub.grace_until = None
        sub.save()
        notices.notice_payment_recovered(workspace=sub.workspace, plan_name=sub.plan.name)
        _audit(sub, "billing.payment_recovered", {})
    if event.invoice and event.invoice.period_end:
        sub.current_period_end = max(
            filter(None, [sub.current_period_end, event.invoice.period_end])
        )
        sub.save(update_fields=["current_period_end", "updated_at"])


def _invoice_failed(sub: Subscription, event: Event, *, stale: bool) -> None:
    _invoice_upsert(sub, event, paid=False)
    if stale or sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
        return
    first_failure = sub.status != SubscriptionStatus.PAST_DUE
    sub.status = SubscriptionStatus.PAST_DUE
    sub.grace_until = sub.grace_until or clock.now() + timedelta(days=settings.BILLING_GRACE_DAYS)
    sub.save()
    if first_failure:
        notices.notice_payment_failed(
            workspace=sub.workspace, plan_name=sub.plan.name, grace_until=sub.grace_until
        )
        _audit(sub, "billing.payment_failed", {"grace_until": sub.grace_until.isoformat()})


def _payment_method(sub: Subscription, event: Event, *, stale: bool) -> None:
    sub.card_brand = event.card_brand
    sub.card_last4 = event.card_last4
    sub.save(update_fields=["card_brand", "card_last4", "updated_at"])


def subscription_grace_expire(*, now=None) -> int:
    """Move workspaces whose grace period is over to the Free plan. Safe to run twice.

    The workspace is downgraded first (nothing is deleted), then, after commit, the
    gateway subscription is canceled; its "deleted" event then finds nothing left to do.
    """
    now = now or clock.now()
    expired = list(
        Subscription.objects.filter(
            status=SubscriptionStatus.PAST_DUE, grace_until__lt=now
        ).values_list("pk", flat=True)
    )
    done = 0
    for pk in expired:
        with transaction.atomic():
            sub = (
                Subscription.objects.select_for_update()
                .select_related("plan", "workspace")
                .get(pk=pk)
            )
            if sub.status != SubscriptionStatus.PAST_DUE or not sub.grace_until:
                continue
            if sub.grace_until >= now:
                continue
            gateway_name, subscription_id = sub.gateway, sub.subscription_id
            _downgrade(sub, reason="The payment could not be collected within the grace period.")
            done += 1
        if gateway_name and subscription_id:
            try:
                gateway_get(gateway_name).subscription_cancel(
                    subscription_id=subscription_id,
                    at_period_end=False,
                    idempotency_key=f"mailsoftly-grace-cancel-{subscription_id}",
                )
            except GatewayError:
                # Downgraded here regardless; the operator sees this and cancels by hand.
                log.warning("billing grace cancel failed at gateway", extra={"subscription": pk})
    return done
