"""Stripe, through its Python SDK: Checkout Session and Customer Portal, so the card is only
ever typed on Stripe's pages.

* Every call that creates or changes something carries an ``Idempotency-Key``.
* Webhooks are verified with the endpoint's signing secret and a 300 s tolerance
  (``BILLING_WEBHOOK_TOLERANCE``); only then is the body read.
* ``BILLING_STRIPE_API_BASE`` points the SDK elsewhere (the tests' local fake of the API).
* The secret key comes from the environment through settings and is never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import stripe
from django.conf import settings

from mailsoftly.billing.errors import GatewayError, WebhookRejected
from mailsoftly.billing.gateways.base import Event, Gateway, InvoiceData, Kind, card_summary
from mailsoftly.core import clock

log = logging.getLogger(__name__)

KINDS = {
    "checkout.session.completed": Kind.CHECKOUT_COMPLETED,
    "customer.subscription.created": Kind.SUBSCRIPTION_UPDATED,
    "customer.subscription.updated": Kind.SUBSCRIPTION_UPDATED,
    "customer.subscription.deleted": Kind.SUBSCRIPTION_DELETED,
    "invoice.paid": Kind.INVOICE_PAID,
    "invoice.payment_succeeded": Kind.INVOICE_PAID,
    "invoice.payment_failed": Kind.INVOICE_FAILED,
    "payment_method.attached": Kind.PAYMENT_METHOD,
}


def _dt(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _id(value) -> str:
    """Stripe sends either an id or an expanded object with an id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")[:120]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _first_item(obj: dict) -> dict:
    items = _dict(obj.get("items")).get("data")
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


class StripeGateway(Gateway):
    name = "stripe"

    @property
    def script_origins(self) -> tuple[str, ...]:
        return (settings.BILLING_STRIPE_JS_ORIGIN,)

    def _client(self) -> stripe.StripeClient:
        key = settings.BILLING_STRIPE_SECRET_KEY
        if not key:
            raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY)")
        base = settings.BILLING_STRIPE_API_BASE
        return stripe.StripeClient(
            key,
            base_addresses={"api": base} if base else None,
            max_network_retries=2,
        )

    def _call(self, what: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as exc:
            # The SDK's message may quote request parameters; log the class and code only.
            log.warning("stripe %s failed: %s %s", what, type(exc).__name__, exc.code or "")
            raise GatewayError(
                "The payment provider could not be reached or refused the request. "
                "Please try again in a minute."
            ) from None

    def customer_create(self, *, workspace, name, email, address, idempotency_key) -> str:
        params = {
            "name": name,
            "email": email,
            "metadata": {"workspace_id": str(workspace.pk)},
        }
        if address:
            params["address"] = dict(address)
        customer = self._call(
            "customer create",
            self._client().v1.customers.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return customer.id

    def checkout_start(
        self, *, workspace, customer_id, plan, success_url, cancel_url, idempotency_key
    ) -> str:
        if not plan.gateway_price_id:
            raise GatewayError(
                f"The {plan.name} plan has no Stripe price yet; the operator sets it in the admin."
            )
        metadata = {"workspace_id": str(workspace.pk), "plan": plan.code}
        session = self._call(
            "checkout",
            self._client().v1.checkout.sessions.create,
            params={
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(workspace.pk),
                "line_items": [{"price": plan.gateway_price_id, "quantity": 1}],
                "success_url": success_url,
                "cancel_url": cancel_url,
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            },
            options={"idempotency_key": idempotency_key},
        )
        return session.url

    def portal_url(self, *, customer_id, return_url) -> str:
        session = self._call(
            "portal",
            self._client().v1.billing_portal.sessions.create,
            params={"customer": customer_id, "return_url": return_url},
        )
        return session.url

    def subscription_change(self, *, subscription_id, plan, idempotency_key) -> None:
        if not plan.gateway_price_id:
            raise GatewayError(
                f"The {plan.name} plan has no Stripe price yet; the operator sets it in the admin."
            )
        client = self._client()
        current = self._call("subscription read", client.v1.subscriptions.retrieve, subscription_id)
        item_id = current["items"]["data"][0]["id"]
        self._call(
            "subscription change",
            client.v1.subscriptions.update,
            subscription_id,
            params={
                "items": [{"id": item_id, "price": plan.gateway_price_id}],
                "proration_behavior": "create_prorations",
                "cancel_at_period_end": False,
                "metadata": {"plan": plan.code},
            },
            options={"idempotency_key": idempotency_key},
        )

    def subscription_cancel(self, *, subscription_id, at_period_end, idempotency_key) -> None:
        client = self._client()
        if at_period_end:
            self._call(
                "subscription cancel",
                client.v1.subscriptions.update,
                subscription_id,
                params={"cancel_at_period_end": True},
                options={"idempotency_key": idempotency_key},
            )
        else:
            self._call(
                "subscription cancel",
                client.v1.subscriptions.cancel,
                subscription_id,
                options={"idempotency_key": idempotency_key},
            )

    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> Event:
        secret = settings.BILLING_STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookRejected("no webhook signing secret configured")
        header = headers.get("Stripe-Signature") or ""
        try:
            # Checks the HMAC and that the timestamp is within the tolerance.
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), header, secret, settings.BILLING_WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"signature check failed: {exc.user_message or exc}") from None
        except UnicodeDecodeError:
            raise WebhookRejected("body is not UTF-8") from None
        # A verified timestamp can still lie in the future beyond the tolerance.
        stamp = dict(p.split("=", 1) for p in header.split(",") if "=" in p).get("t", "0")
        try:
            if int(stamp) - clock.now().timestamp() > settings.BILLING_WEBHOOK_TOLERANCE:
                raise WebhookRejected("timestamp is in the future")
        except ValueError:
            raise WebhookRejected("malformed timestamp") from None
        try:
            body = json.loads(payload)
            obj = body["data"]["object"]
            event_id, raw_type = str(body["id"]), str(body["type"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("body is not a Stripe event") from None
        try:
            return _normalise(event_id, raw_type, body, obj if isinstance(obj, dict) else {})
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            raise WebhookRejected("event body has an unexpected shape") from None


def _normalise(event_id: str, raw_type: str, body: dict, obj: dict) -> Event:
    kind = KINDS.get(raw_type, Kind.UNKNOWN)
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    common = {
        "id": event_id[:120],
        "kind": kind,
        "raw_type": raw_type[:80],
        "created": _dt(body.get("created")) or clock.now(),
        "customer_id": _id(obj.get("customer")),
        "workspace_ref": str(obj.get("client_reference_id") or metadata.get("workspace_id") or ""),
        "plan_code": str(metadata.get("plan") or ""),
    }
    if kind == Kind.CHECKOUT_COMPLETED:
        return Event(**common, subscription_id=_id(obj.get("subscription")), status="active")
    if kind in (Kind.SUBSCRIPTION_UPDATED, Kind.SUBSCRIPTION_DELETED):
        item = _first_item(obj)
        return Event(
            **common,
            subscription_id=_id(obj.get("id")),
            price_id=_id(_dict(item.get("price")).get("id")),
            status=str(obj.get("status") or ""),
            current_period_end=_dt(obj.get("current_period_end") or item.get("current_period_end")),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        )
    if kind in (Kind.INVOICE_PAID, Kind.INVOICE_FAILED):
        parent = _dict(_dict(obj.get("parent")).get("subscription_details"))
        paid = kind == Kind.INVOICE_PAID
        invoice = InvoiceData(
            invoice_id=_id(obj.get("id")),
            number=str(obj.get("number") or "")[:64],
            paid=paid,
            amount_cents=_int(obj.get("amount_paid") if paid else obj.get("amount_due")),
            currency=str(obj.get("currency") or "usd")[:3],
            period_start=_dt(obj.get("period_start")),
            period_end=_dt(obj.get("period_end")),
            pdf_url=str(obj.get("invoice_pdf") or "")[:500],
            hosted_url=str(obj.get("hosted_invoice_url") or "")[:500],
        )
        return Event(
            **common,
            subscription_id=_id(obj.get("subscription") or parent.get("subscription")),
            invoice=invoice,
        )
    if kind == Kind.PAYMENT_METHOD:
        card = obj.get("card") if isinstance(obj.get("card"), dict) else {}
        brand, last4 = card_summary(card.get("brand"), card.get("last4"))
        return Event(**common, card_brand=brand, card_last4=last4)
    return Event(**common)
