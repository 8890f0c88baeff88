"""Policy P07: no card data is stored or logged, after a full payment flow."""

from __future__ import annotations

import logging
import time

import pytest
from django.test import TestCase
from django.urls import reverse

from mailsoftly.billing.errors import WebhookRejected
from mailsoftly.billing.gateways import fake
from mailsoftly.billing.models import GatewayEvent, Invoice, Subscription, SubscriptionStatus
from mailsoftly.billing.services import plan_choose, webhook_handle
from tests.billing.luhn import card_numbers, scan_databases, scan_databases_for

# Test card numbers from the card networks' public test ranges.
VISA_TEST = "4242424242424242"
MASTERCARD_TEST_GROUPED = "5555 5555 5555 4444"


def _findings(caplog, capsys) -> list:
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    stored = list(scan_databases())
    return stored + [("logs", "", n) for n in card_numbers(logs)]


def test_the_scanner_finds_a_planted_card_number(workspace, caplog, capsys):
    """The scan below can fail: a card number in any table or log line is found."""
    GatewayEvent.objects.create(
        gateway="fake",
        event_id="planted",
        event_type="x",
        event_created=workspace.created_at,
        received_at=workspace.created_at,
        outcome="ignored",
        reason=f"card {MASTERCARD_TEST_GROUPED}",
    )
    logging.getLogger("mailsoftly.test").warning("pan %s", VISA_TEST)
    found = _findings(caplog, capsys)
    assert ("default", "billing_gatewayevent", "5555555555554444") in found
    assert any(where == "logs" and number == VISA_TEST for where, _t, number in found)


@pytest.mark.policy("P07")
def test_subscribe_renew_fail_recover_on_the_fake_gateway_leaves_no_card_number(
    logged_in_client, workspace, eu_workspace, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    response = logged_in_client.post(reverse("billing:choose"), {"plan": "pro"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        logged_in_client.post(response["Location"], {"action": "pay"})
    sub = Subscription.objects.get(workspace=workspace)
    assert sub.status == SubscriptionStatus.ACTIVE
    with TestCase.captureOnCommitCallbacks(execute=True):
        fake.fake_renew(subscription_id=sub.subscription_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        fake.fake_renew(subscription_id=sub.subscription_id, pay=False)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.PAST_DUE
    with TestCase.captureOnCommitCallbacks(execute=True):
        fake.fake_retry(subscription_id=sub.subscription_id)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert Invoice.objects.filter(workspace=workspace, status="paid").count() == 3
    logged_in_client.get(reverse("billing:invoices"))
    assert _findings(caplog, capsys) == []


@pytest.mark.policy("P07")
def test_subscribe_renew_fail_recover_through_stripe_leaves_no_card_number(
    workspace, user, stripe_api, stripe_events, caplog, capsys
):
    """Even card details a gateway might echo (in fields we do not read) are not kept."""
    caplog.set_level(logging.DEBUG)
    plan_choose(
        workspace=workspace,
        actor=user,
        plan_code="pro",
        success_url="http://testserver/billing/checkout/return/",
        cancel_url="http://testserver/billing/",
    )
    sub = Subscription.objects.get(workspace=workspace)
    now = int(time.time())

    def deliver(event_type, obj, offset):
        payload = stripe_events.payload(event_type, obj, created=now + offset)
        with TestCase.captureOnCommitCallbacks(execute=True):
            webhook_handle(
                gateway_name="stripe", payload=payload, headers=stripe_events.headers(payload)
            )

    card = {
        "brand": "visa",
        "last4": "4242",
        "number": VISA_TEST,
        "exp_month": 12,
        "exp_year": 2030,
        "fingerprint": "Xt5EWLLDS7FJjR1c",
    }
    customer = sub.customer_id

    def invoice(invoice_id, paid):
        return {
            "id": invoice_id,
            "customer": customer,
            "subscription": "sub_Flow",
            "number": f"INV-{invoice_id[-4:]}",
            "amount_paid": 2900 if paid else 0,
            "amount_due": 2900,
            "currency": "usd",
            "description": f"charged card {MASTERCARD_TEST_GROUPED}",
            "payment_settings": {"card": card},
            "invoice_pdf": f"https://pay.stripe.test/{invoice_id}/pdf",
        }

    deliver("payment_method.attached", {"id": "pm_A", "customer": customer, "card": card}, 0)
    deliver(
        "checkout.session.completed",
        {
            "id": "cs_Flow",
            "customer": customer,
            "subscription": "sub_Flow",
            "client_reference_id": str(workspace.pk),
            "metadata": {"plan": "pro"},
            "customer_details": {"name": "Ada", "card": card},
        },
        1,
    )
    deliver("invoice.paid", invoice("in_FirstAAAA", True), 2)
    deliver("invoice.paid", invoice("in_RenewBBBB", True), 3)
    deliver("invoice.payment_failed", invoice("in_FailCCCC", False), 4)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.PAST_DUE
    deliver("invoice.paid", invoice("in_FailCCCC", True), 5)
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE
    assert (sub.card_brand, sub.card_last4) == ("visa", "4242")
    assert _findings(caplog, capsys) == []


@pytest.mark.policy("P04")
def test_gateway_secrets_are_neither_stored_nor_logged(
    workspace, user, stripe_api, stripe_events, caplog, capsys
):
    from tests.billing.conftest import WEBHOOK_SECRET

    caplog.set_level(logging.DEBUG)
    plan_choose(
        workspace=workspace,
        actor=user,
        plan_code="pro",
        success_url="http://testserver/billing/checkout/return/",
        cancel_url="http://testserver/billing/",
    )
    payload = stripe_events.payload("invoice.paid", {"id": "in_x", "customer": "cus_x"})
    webhook_handle(gateway_name="stripe", payload=payload, headers=stripe_events.headers(payload))
    with pytest.raises(WebhookRejected):
        webhook_handle(
            gateway_name="stripe",
            payload=payload,
            headers=stripe_events.headers(payload, secret="whsec_wrong"),
        )
    secrets = ("sk_test_local_only", WEBHOOK_SECRET)
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert stripe_api.requests  # the key was used...
    assert not [s for s in secrets if s in logs]  # ...and never logged
    assert list(scan_databases_for(secrets)) == []
