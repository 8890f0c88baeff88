"""A local gateway for the embedded default and demos: no money moves, no card is asked for.

Its "hosted checkout" is our own page (``billing:fake_checkout``) with a Pay button and no
card field at all. It keeps its side of the world in ``FakeCheckout``/``FakeSubscription``
and tells billing what happened the way a real gateway does: signed webhooks, which it
delivers in-process after the current transaction commits, through the same
``webhook_handle`` path a real gateway's requests take.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac

from mailsoftly.billing.errors import GatewayError, WebhookRejected
from mailsoftly.billing.gateways.base import (
    Event,
    Gateway,
    InvoiceData,
    Kind,
    card_summary,
    letters_id,
)
from mailsoftly.billing.models import FakeCheckout, FakeCheckoutStatus, FakeSubscription
from mailsoftly.core import clock

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Fake-Signature"
PERIOD = {"month": timedelta(days=30), "year": timedelta(days=365)}


def webhook_secret() -> str:
    return salted_hmac("mailsoftly.billing.fake-webhook", "secret", algorithm="sha256").hexdigest()


def sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """The signature header value for ``payload`` (``t=<unix>,v1=<hex hmac>``)."""
    stamp = int(clock.now().timestamp()) if timestamp is None else timestamp
    digest = hmac.new(
        (secret or webhook_secret()).encode(), f"{stamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={stamp},v1={digest}"


def _ts(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def _dt(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise WebhookRejected("malformed timestamp in event") from None


def _plan(code: str):
    from mailsoftly.billing.selectors import plan_get

    plan = plan_get(code=code)
    if plan is None:
        raise GatewayError(f"unknown plan {code!r}")
    return plan


def _deliver(kind: str, data: dict) -> None:
    """Send one signed event to billing's webhook handler once the transaction commits."""
    body = {
        "id": letters_id("fevt_"),
        "type": kind,
        "created": int(clock.now().timestamp()),
        "data": data,
    }
    payload = json.dumps(body).encode()

    def send() -> None:
        from mailsoftly.billing.services import webhook_handle

        webhook_handle(
            gateway_name="fake",
            payload=payload,
            headers={SIGNATURE_HEADER: sign(payload)},
        )

    transaction.on_commit(send)


def _subscription_data(sub: FakeSubscription, **extra) -> dict:
    return {
        "customer": sub.customer_id,
        "workspace": str(sub.workspace_id),
        "subscription": sub.subscription_id,
        "plan": sub.plan_code,
        "status": sub.status,
        "current_period_end": _ts(sub.current_period_end),
        "cancel_at_period_end": sub.cancel_at_period_end,
        **extra,
    }


def _invoice(sub: FakeSubscription, *, amount: int, paid: bool, invoice_id: str = "") -> dict:
    plan = _plan(sub.plan_code)
    if not invoice_id:
        sub.invoice_count += 1
        sub.save(update_fields=["invoice_count"])
    return {
        "id": invoice_id or letters_id("fin_"),
        "number": f"FAKE-{sub.workspace_id}-{sub.invoice_count:04d}",
        "paid": paid,
        "amount": amount,
        "currency": plan.currency,
        "period_start": _ts(sub.current_period_start),
        "period_end": _ts(sub.current_period_end),
    }


class FakeGateway(Gateway):
    name = "fake"
    script_origins = ()

    def customer_create(self, *, workspace, name, email, address, idempotency_key) -> str:
        return letters_id("fcus_")

    def checkout_start(
        self, *, workspace, customer_id, plan, success_url, cancel_url, idempotency_key
    ) -> str:
        checkout = FakeCheckout.objects.create(
            token=letters_id("", 40),
            workspace=workspace,
            customer_id=customer_id,
            plan_code=plan.code,
            success_url=success_url,
            cancel_url=cancel_url,
            created_at=clock.now(),
        )
        return reverse("billing:fake_checkout", kwargs={"token": checkout.token})

    def portal_url(self, *, customer_id, return_url) -> str:
        # The fake keeps no payment method to manage: its portal is our own plan page.
        return reverse("billing:plan")

    def subscription_change(self, *, subscription_id, plan, idempotency_key) -> None:
        with transaction.atomic():
            sub = _fake_subscription(subscription_id, lock=True)
            old = _plan(sub.plan_code)
            now = clock.now()
            length = (sub.current_period_end - sub.current_period_start).total_seconds() or 1
            left = max(0.0, (sub.current_period_end - now).total_seconds()) / length
            # Proration the way the gateway sees it: the price difference for the time left.
            prorated = round((plan.price_cents - old.price_cents) * left)
            sub.plan_code = plan.code
            sub.cancel_at_period_end = False
            sub.save(update_fields=["plan_code", "cancel_at_period_end"])
            _deliver(Kind.SUBSCRIPTION_UPDATED, _subscription_data(sub))
            if prorated > 0:
                _deliver(
                    Kind.INVOICE_PAID,
                    _subscription_data(sub, invoice=_invoice(sub, amount=prorated, paid=True)),
                )

    def subscription_cancel(self, *, subscription_id, at_period_end, idempotency_key) -> None:
        with transaction.atomic():
            sub = _fake_subscription(subscription_id, lock=True)
            if at_period_end:
                sub.cancel_at_period_end = True
                sub.save(update_fields=["cancel_at_period_end"])
                _deliver(Kind.SUBSCRIPTION_UPDATED, _subscription_data(sub))
            else:
                sub.status = "canceled"
                sub.save(update_fields=["status"])
                _deliver(Kind.SUBSCRIPTION_DELETED, _subscription_data(sub))

    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> Event:
        header = headers.get(SIGNATURE_HEADER) or ""
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            stamp = int(parts.get("t", ""))
        except ValueError:
            raise WebhookRejected("missing or malformed signature header") from None
        expected = sign(payload, timestamp=stamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookRejected("signature does not match")
        tolerance = settings.BILLING_WEBHOOK_TOLERANCE
        if abs(clock.now().timestamp() - stamp) > tolerance:
            raise WebhookRejected(f"timestamp outside the {tolerance} s tolerance")
        try:
            body = json.loads(payload)
            data = body.get("data") or {}
            event_id, kind = str(body["id"]), str(body["type"])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise WebhookRejected("body is not a gateway event") from None
        try:
            return _normalise(event_id, kind, body, data if isinstance(data, dict) else {})
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError):
            raise WebhookRejected("event body has an unexpected shape") from None


_KNOWN = {
    Kind.CHECKOUT_COMPLETED,
    Kind.SUBSCRIPTION_UPDATED,
    Kind.SUBSCRIPTION_DELETED,
    Kind.INVOICE_PAID,
    Kind.INVOICE_FAILED,
    Kind.PAYMENT_METHOD,
}


def _normalise(event_id: str, kind: str, body: dict, data: dict) -> Event:
    invoice = None
    if isinstance(data.get("invoice"), dict):
        raw = data["invoice"]
        invoice = InvoiceData(
            invoice_id=str(raw.get("id", ""))[:120],
            number=str(raw.get("number", ""))[:64],
            paid=bool(raw.get("paid")),
            amount_cents=raw.get("amount") if isinstance(raw.get("amount"), int) else 0,
            currency=str(raw.get("currency") or "usd")[:3],
            period_start=_dt(raw.get("period_start")),
            period_end=_dt(raw.get("period_end")),
        )
    card = data.get("card") if isinstance(data.get("card"), dict) else {}
    brand, last4 = card_summary(card.get("brand"), card.get("last4"))
    return Event(
        id=event_id[:120],
        kind=kind if kind in _KNOWN else Kind.UNKNOWN,
        raw_type=kind[:80],
        created=_dt(body.get("created")) or clock.now(),
        customer_id=str(data.get("customer") or "")[:120],
        workspace_ref=str(data.get("workspace") or ""),
        subscription_id=str(data.get("subscription") or "")[:120],
        plan_code=str(data.get("plan") or "")[:32],
        status=str(data.get("status") or ""),
        current_period_end=_dt(data.get("current_period_end")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        invoice=invoice,
        card_brand=brand,
        card_last4=last4,
    )


def _fake_subscription(subscription_id: str, *, lock: bool = False) -> FakeSubscription:
    rows = FakeSubscription.objects.select_for_update() if lock else FakeSubscription.objects
    sub = rows.filter(subscription_id=subscription_id).first()
    if sub is None:
        raise GatewayError("the fake gateway has no such subscription")
    return sub


# ------------------------------------------------------------ the fake's hosted page


def fake_checkout_get(*, token: str, workspace) -> FakeCheckout | None:
    """An open checkout of ``workspace`` (the page is only shown to that workspace's admins)."""
    return FakeCheckout.objects.filter(
        token=str(token)[:64], workspace_id=workspace.pk, status=FakeCheckoutStatus.OPEN
    ).first()


def fake_checkout_complete(*, checkout: FakeCheckout) -> str:
    """The user pressed Pay: the subscription starts and the first invoice is paid."""
    with transaction.atomic():
        checkout = FakeCheckout.objects.select_for_update().get(pk=checkout.pk)
        if checkout.status != FakeCheckoutStatus.OPEN:
            return checkout.success_url
        plan = _plan(checkout.plan_code)
        now = clock.now()
        sub = FakeSubscription.objects.create(
            subscription_id=letters_id("fsub_"),
            customer_id=checkout.customer_id,
            workspace_id=checkout.workspace_id,
            plan_code=plan.code,
            current_period_start=now,
            current_period_end=now + PERIOD.get(plan.interval, PERIOD["month"]),
        )
        checkout.status = FakeCheckoutStatus.COMPLETED
        checkout.save(update_fields=["status"])
        _deliver(Kind.PAYMENT_METHOD, _subscription_data(sub, card={"brand": "fake"}))
        _deliver(Kind.CHECKOUT_COMPLETED, _subscription_data(sub))
        _deliver(
            Kind.INVOICE_PAID,
            _subscription_data(sub, invoice=_invoice(sub, amount=plan.price_cents, paid=True)),
        )
    return checkout.success_url


def fake_checkout_cancel(*, checkout: FakeCheckout) -> str:
    FakeCheckout.objects.filter(pk=checkout.pk, status=FakeCheckoutStatus.OPEN).update(
        status=FakeCheckoutStatus.CANCELED
    )
    return checkout.cancel_url


def fake_renew(*, subscription_id: str, pay: bool = True) -> None:
    """The period ends: the fake charges again (``pay=False`` makes the charge fail).

    A subscription set to cancel at the period end ends instead.
    """
    with transaction.atomic():
        sub = _fake_subscription(subscription_id, lock=True)
        if sub.status == "canceled":
            return
        if sub.cancel_at_period_end:
            sub.status = "canceled"
            sub.save(update_fields=["status"])
            _deliver(Kind.SUBSCRIPTION_DELETED, _subscription_data(sub))
            return
        plan = _plan(sub.plan_code)
        if pay:
            length = sub.current_period_end - sub.current_period_start
            sub.current_period_start = sub.current_period_end
            sub.current_period_end = sub.current_period_end + length
            sub.status = "active"
            sub.save(update_fields=["current_period_start", "current_period_end", "status"])
            invoice = _invoice(sub, amount=plan.price_cents, paid=True)
            _deliver(Kind.INVOICE_PAID, _subscription_data(sub, invoice=invoice))
        else:
            invoice = _invoice(sub, amount=plan.price_cents, paid=False)
            sub.status = "past_due"
            sub.open_invoice_id = invoice["id"]
            sub.save(update_fields=["status", "open_invoice_id"])
            _deliver(Kind.INVOICE_FAILED, _subscription_data(sub, invoice=invoice))


def fake_retry(*, subscription_id: str) -> None:
    """The customer fixed their payment method: the failed invoice is charged again and paid."""
    with transaction.atomic():
        sub = _fake_subscription(subscription_id, lock=True)
        if sub.status != "past_due" or not sub.open_invoice_id:
            return
        plan = _plan(sub.plan_code)
        length = sub.current_period_end - sub.current_period_start
        sub.current_period_start = sub.current_period_end
        sub.current_period_end = sub.current_period_end + length
        sub.status = "active"
        invoice = _invoice(sub, amount=plan.price_cents, paid=True, invoice_id=sub.open_invoice_id)
        sub.open_invoice_id = ""
        sub.save(
            update_fields=[
                "current_period_start",
                "current_period_end",
                "status",
                "open_invoice_id",
            ]
        )
        _deliver(Kind.INVOICE_PAID, _subscription_data(sub, invoice=invoice))
