"""Genuinely signed but strange webhook bodies never crash the handler (hypothesis)."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailsoftly.billing.errors import WebhookRejected
from mailsoftly.billing.gateways import fake
from mailsoftly.billing.models import Plan, Subscription
from mailsoftly.billing.services import webhook_handle
from tests.billing.conftest import WEBHOOK_SECRET
from tests.billing.stripe_fake import letters, stripe_signature

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
STRIPE_TYPES = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
    "payment_method.attached",
    "something.else",
]
FIELDS = [
    "id",
    "customer",
    "subscription",
    "status",
    "items",
    "metadata",
    "client_reference_id",
    "amount_paid",
    "amount_due",
    "period_end",
    "current_period_end",
    "card",
    "number",
    "cancel_at_period_end",
]


@pytest.fixture
def known_customer(workspace):
    Subscription.objects.create(
        workspace=workspace,
        plan=Plan.objects.get(code="free"),
        gateway="stripe",
        customer_id="cus_Known",
    )
    Subscription.objects.create(
        workspace=workspace.__class__.objects.create(name="Fake customer's"),
        plan=Plan.objects.get(code="free"),
        gateway="fake",
        customer_id="fcus_Known",
    )
    return workspace


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    event_type=st.sampled_from(STRIPE_TYPES),
    obj=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8),
    known=st.booleans(),
)
def test_signed_stripe_events_of_any_shape_are_handled_or_rejected(
    stripe_api, known_customer, event_type, obj, known
):
    if known:
        obj["customer"] = "cus_Known"
    body = {"id": "evt_" + letters(), "type": event_type, "created": int(time.time())}
    body["data"] = {"object": obj}
    payload = json.dumps(body).encode()
    headers = {"Stripe-Signature": stripe_signature(payload, WEBHOOK_SECRET)}
    try:
        outcome = webhook_handle(gateway_name="stripe", payload=payload, headers=headers)
    except WebhookRejected:
        return
    assert outcome in ("processed", "ignored", "duplicate")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(
        ["checkout.completed", "subscription.updated", "invoice.paid", "payment_method.updated"]
    ),
    data=st.dictionaries(
        st.sampled_from(["customer", "plan", "status", "invoice", "card", "current_period_end"]),
        json_values,
        max_size=6,
    ),
    known=st.booleans(),
)
def test_signed_fake_events_of_any_shape_are_handled_or_rejected(known_customer, kind, data, known):
    if known:
        data["customer"] = "fcus_Known"
    body = {"id": "fevt_" + letters(), "type": kind, "created": int(time.time()), "data": data}
    payload = json.dumps(body).encode()
    try:
        outcome = webhook_handle(
            gateway_name="fake",
            payload=payload,
            headers={fake.SIGNATURE_HEADER: fake.sign(payload)},
        )
    except WebhookRejected:
        return
    assert outcome in ("processed", "ignored", "duplicate")
