from __future__ import annotations

import json
import time

import pytest

from mailsoftly.billing.models import Plan
from tests.billing.stripe_fake import letters, serve, stripe_signature

WEBHOOK_SECRET = "whsec_test_local"


@pytest.fixture
def stripe_api(settings, db):
    """Stripe configured against the local fake API; plans carry Stripe price ids."""
    fake, server = serve()
    settings.BILLING_GATEWAY = "stripe"
    settings.BILLING_STRIPE_SECRET_KEY = "sk_test_local_only"
    settings.BILLING_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_STRIPE_API_BASE = fake.url
    Plan.objects.filter(code="pro").update(gateway_price_id="price_pro")
    Plan.objects.filter(code="business").update(gateway_price_id="price_business")
    yield fake
    server.shutdown()
    server.server_close()


class StripeEvents:
    """Builds Stripe-shaped events and signs them like Stripe."""

    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        self.secret = secret

    def payload(self, event_type: str, obj: dict, *, created: int | None = None, event_id=None):
        body = {
            "id": event_id or "evt_" + letters(),
            "object": "event",
            "type": event_type,
            "created": int(time.time()) if created is None else created,
            "data": {"object": obj},
        }
        return json.dumps(body).encode()

    def headers(self, payload: bytes, *, timestamp: int | None = None, secret=None) -> dict:
        return {"Stripe-Signature": stripe_signature(payload, secret or self.secret, timestamp)}


@pytest.fixture
def stripe_events() -> StripeEvents:
    return StripeEvents()
