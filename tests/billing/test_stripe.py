"""Stripe through its SDK, against a local fake of the API: outbound calls and webhooks."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from mailsoftly.billing.errors import WebhookRejected
from mailsoftly.billing.models import (
    EventOutcome,
    GatewayEvent,
    Invoice,
    Subscription,
    SubscriptionStatus,
)
from mailsoftly.billing.selectors import plan_for_workspace
from mailsoftly.billing.services import (
    plan_choose,
    subscription_cancel,
    subscription_grace_expire,
    webhook_handle,
)
from mailsoftly.teams.services import workspace_create
from tests.contacts.factories import ContactFactory

pytestmark = pytest.mark.policy("P06", "P07")


def _choose(workspace, user, code="pro"):
    return plan_choose(
        workspace=workspace,
        actor=user,
        plan_code=code,
        success_url="http://testserver/billing/checkout/return/",
        cancel_url="http://testserver/billing/",
    )


def _deliver(events, event_type, obj, **kwargs):
    timestamp = kwargs.pop("timestamp", None)
    payload = events.payload(event_type, obj, **kwargs)
    # Notices are queued after commit: run those callbacks as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return webhook_handle(
            gateway_name="stripe",
            payload=payload,
            headers=events.headers(payload, timestamp=timestamp),
        )


def _subscribed(workspace, user, stripe_api, events, *, created=None) -> Subscription:
    _choose(workspace, user)
    sub = Subscription.objects.get(workspace=workspace)
    _deliver(
        events,
        "checkout.session.completed",
        {
            "id": "cs_test_x",
            "object": "checkout.session",
            "customer": sub.customer_id,
            "subscription": "sub_TestOne",
            "client_reference_id": str(workspace.pk),
            "metadata": {"workspace_id": str(workspace.pk), "plan": "pro"},
        },
        created=created,
    )
    sub.refresh_from_db()
    return sub


def _invoice(sub, *, invoice_id="in_TestOne", paid=True, amount=2900):
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": sub.customer_id,
        "subscription": sub.subscription_id,
        "number": "INV-0001",
        "amount_paid": amount if paid else 0,
        "amount_due": amount,
        "currency": "usd",
        "invoice_pdf": f"https://pay.stripe.test/invoice/{invoice_id}/pdf",
        "hosted_invoice_url": f"https://pay.stripe.test/invoice/{invoice_id}",
        "period_start": int(time.time()),
        "period_end": int(time.time()) + 30 * 86400,
    }


def test_checkout_creates_the_customer_then_a_hosted_session_with_idempotency_keys(
    workspace, user, stripe_api
):
    url = _choose(workspace, user)
    assert url.startswith("https://checkout.stripe.test/c/pay/cs_test_")
    (customer,) = stripe_api.calls("POST", "/v1/customers")
    (session,) = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert customer.headers["Idempotency-Key"] == f"mailsoftly-customer-stripe-{workspace.pk}"
    assert session.headers["Idempotency-Key"].startswith(f"mailsoftly-checkout-{workspace.pk}-pro-")
    assert session.headers["Authorization"] == "Bearer sk_test_local_only"
    assert session.form["mode"] == "subscription"
    assert session.form["line_items[0][price]"] == "price_pro"
    assert session.form["client_reference_id"] == str(workspace.pk)
    # Nothing card-like ever leaves us: the card is typed on Stripe's page only.
    assert not any("card" in key for r in stripe_api.requests for key in r.form)
    sub = Subscription.objects.get(workspace=workspace)
    assert sub.customer_id.startswith("cus_") and sub.gateway == "stripe"
    # Still on Free until Stripe confirms.
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_a_second_checkout_reuses_the_customer(workspace, user, stripe_api):
    _choose(workspace, user)
    _choose(workspace, user, "business")
    assert len(stripe_api.calls("POST", "/v1/customers")) == 1
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 2


def test_members_cannot_start_a_checkout(workspace, stripe_api):
    from mailsoftly.billing.errors import BillingError
    from tests.factories import UserFactory

    stranger = UserFactory()
    with pytest.raises(BillingError, match="admins"):
        _choose(workspace, stranger)
    assert stripe_api.requests == []


def test_checkout_completed_webhook_activates_the_plan(workspace, user, stripe_api, stripe_events):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    assert sub.status == SubscriptionStatus.ACTIVE
    assert sub.subscription_id == "sub_TestOne"
    assert plan_for_workspace(workspace=workspace).code == "pro"


def test_the_webhook_endpoint_answers_400_to_forgeries_and_200_to_genuine_events(
    client, workspace, user, stripe_api, stripe_events, caplog
):
    _choose(workspace, user)
    sub = Subscription.objects.get(workspace=workspace)
    url = reverse("billing:webhook", kwargs={"gateway": "stripe"})
    obj = {
        "id": "cs_x",
        "customer": sub.customer_id,
        "subscription": "sub_Forged",
        "client_reference_id": str(workspace.pk),
        "metadata": {"plan": "business"},
    }
    payload = stripe_events.payload("checkout.session.completed", obj)
    forged = stripe_events.headers(payload, secret="whsec_attacker")
    with caplog.at_level(logging.WARNING, logger="mailsoftly.billing.webhooks"):
        response = client.post(
            url,
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=forged["Stripe-Signature"],
        )
    assert response.status_code == 400
    assert "billing webhook rejected" in caplog.text
    assert plan_for_workspace(workspace=workspace).code == "free"
    unsigned = client.post(url, payload, content_type="application/json")
    assert unsigned.status_code == 400
    genuine = stripe_events.headers(payload)
    response = client.post(
        url,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=genuine["Stripe-Signature"],
    )
    assert response.status_code == 200
    assert response.json() == {"outcome": "processed"}
    assert plan_for_workspace(workspace=workspace).code == "business"


def test_a_tampered_body_fails_verification(workspace, user, stripe_api, stripe_events):
    payload = stripe_events.payload("invoice.paid", {"id": "in_x", "customer": "cus_x"})
    headers = stripe_events.headers(payload)
    with pytest.raises(WebhookRejected, match="signature"):
        webhook_handle(gateway_name="stripe", payload=payload + b" ", headers=headers)


def test_stale_timestamps_are_rejected_after_300_seconds(
    workspace, user, stripe_api, stripe_events
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    obj = {
        "id": "sub_TestOne",
        "customer": sub.customer_id,
        "status": "active",
        "cancel_at_period_end": True,
        "items": {"data": []},
    }
    with pytest.raises(WebhookRejected, match="tolerance"):
        _deliver(
            stripe_events, "customer.subscription.updated", obj, timestamp=int(time.time()) - 330
        )
    assert (
        _deliver(
            stripe_events, "customer.subscription.updated", obj, timestamp=int(time.time()) - 200
        )
        == "processed"
    )


def test_future_timestamps_are_rejected(workspace, user, stripe_api, stripe_events):
    obj = {"id": "in_x", "customer": "cus_x"}
    with pytest.raises(WebhookRejected, match="future"):
        _deliver(stripe_events, "invoice.paid", obj, timestamp=int(time.time()) + 900)


def test_replayed_events_are_applied_once(
    workspace, user, stripe_api, stripe_events, mailoutbox, caplog
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    payload = stripe_events.payload("invoice.paid", _invoice(sub), event_id="evt_SameOne")
    headers = stripe_events.headers(payload)
    assert webhook_handle(gateway_name="stripe", payload=payload, headers=headers) == "processed"
    sent = len(mailoutbox)
    with caplog.at_level(logging.INFO, logger="mailsoftly.billing.webhooks"):
        again = webhook_handle(gateway_name="stripe", payload=payload, headers=headers)
    assert again == "duplicate"
    assert "replayed" in caplog.text
    assert GatewayEvent.objects.filter(event_id="evt_SameOne").count() == 1
    assert Invoice.objects.filter(workspace=workspace).count() == 1
    assert len(mailoutbox) == sent


def test_unknown_event_types_are_recorded_as_ignored_and_logged(
    workspace, user, stripe_api, stripe_events, caplog
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    with caplog.at_level(logging.WARNING, logger="mailsoftly.billing.webhooks"):
        outcome = _deliver(
            stripe_events,
            "radar.early_fraud_warning.created",
            {"id": "x", "customer": sub.customer_id},
        )
    assert outcome == "ignored"
    event = GatewayEvent.objects.get(event_type="radar.early_fraud_warning.created")
    assert event.outcome == EventOutcome.IGNORED and "unhandled" in event.reason
    assert "ignored" in caplog.text


def test_out_of_order_events_do_not_roll_the_state_back(workspace, user, stripe_api, stripe_events):
    now = int(time.time())
    sub = _subscribed(workspace, user, stripe_api, stripe_events, created=now - 100)
    newer = {
        "id": sub.subscription_id,
        "customer": sub.customer_id,
        "status": "active",
        "items": {"data": [{"id": "si_1", "price": {"id": "price_business"}}]},
    }
    older = {**newer, "items": {"data": [{"id": "si_1", "price": {"id": "price_pro"}}]}}
    assert (
        _deliver(stripe_events, "customer.subscription.updated", newer, created=now - 10)
        == "processed"
    )
    assert (
        _deliver(stripe_events, "customer.subscription.updated", older, created=now - 50)
        == "ignored"
    )
    assert plan_for_workspace(workspace=workspace).code == "business"
    assert GatewayEvent.objects.filter(reason__contains="older").count() == 1


def test_events_for_another_workspaces_customer_are_ignored(
    user, workspace, stripe_api, stripe_events, caplog
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    other = workspace_create(owner=user, name="Other")
    obj = {
        "id": "cs_y",
        "customer": sub.customer_id,
        "subscription": "sub_Other",
        "client_reference_id": str(other.pk),
        "metadata": {"plan": "business"},
    }
    with caplog.at_level(logging.WARNING, logger="mailsoftly.billing.webhooks"):
        assert _deliver(stripe_events, "checkout.session.completed", obj) == "ignored"
    assert "another workspace" in GatewayEvent.objects.get(workspace=None, outcome="ignored").reason
    assert plan_for_workspace(workspace=other).code == "free"
    assert plan_for_workspace(workspace=workspace).code == "pro"
    unknown = {**obj, "customer": "cus_Nobody", "client_reference_id": ""}
    assert _deliver(stripe_events, "checkout.session.completed", unknown) == "ignored"


def test_upgrade_goes_through_stripe_with_proration_and_an_idempotency_key(
    workspace, user, stripe_api, stripe_events
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    assert _choose(workspace, user, "business") is None
    update = stripe_api.calls("POST", f"/v1/subscriptions/{sub.subscription_id}")[-1]
    assert update.form["items[0][price]"] == "price_business"
    assert update.form["proration_behavior"] == "create_prorations"
    assert update.headers["Idempotency-Key"].startswith("mailsoftly-change-")
    # The plan changes when Stripe says so, with its own proration invoice.
    assert plan_for_workspace(workspace=workspace).code == "pro"


def test_cancel_is_at_the_period_end(workspace, user, stripe_api, stripe_events):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    subscription_cancel(workspace=workspace, actor=user)
    update = stripe_api.calls("POST", f"/v1/subscriptions/{sub.subscription_id}")[-1]
    assert update.form["cancel_at_period_end"] == "true"
    assert update.headers["Idempotency-Key"] == f"mailsoftly-cancel-{sub.subscription_id}"
    assert plan_for_workspace(workspace=workspace).code == "pro"


@pytest.mark.policy("P21")
def test_failed_payment_notifies_grace_then_free_without_deleting_data(
    workspace, user, stripe_api, stripe_events, mailoutbox
):
    from mailsoftly.teams.models import BillingContact

    BillingContact.objects.for_workspace(workspace).create(
        workspace=workspace, name="Bea Billing", email="bea@example.org", address="1 Road"
    )
    _subscribed(workspace, user, stripe_api, stripe_events)
    sub = Subscription.objects.get(workspace=workspace)
    for _ in range(3):
        ContactFactory(workspace=workspace)
    mailoutbox.clear()
    _deliver(
        stripe_events, "invoice.payment_failed", _invoice(sub, invoice_id="in_Fail", paid=False)
    )
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.PAST_DUE and sub.grace_until is not None
    failed = [m for m in mailoutbox if "Payment failed" in m.subject]
    assert len(failed) == 1
    assert set(failed[0].to) == {"bea@example.org", user.email}
    assert plan_for_workspace(workspace=workspace).code == "pro"  # grace keeps the plan
    assert subscription_grace_expire() == 0
    with time_machine.travel(sub.grace_until, tick=False):
        assert subscription_grace_expire() == 0
    with (
        time_machine.travel(sub.grace_until + timedelta(seconds=1)),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert subscription_grace_expire() == 1
        assert subscription_grace_expire() == 0
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.CANCELED
    assert plan_for_workspace(workspace=workspace).code == "free"
    assert stripe_api.calls("DELETE", "/v1/subscriptions/sub_TestOne")
    assert any("now on the Free plan" in m.subject for m in mailoutbox)
    from mailsoftly.contacts.models import Contact

    assert Contact.objects.for_workspace(workspace).count() == 3


def test_a_paid_invoice_after_a_failure_recovers_the_subscription(
    workspace, user, stripe_api, stripe_events, mailoutbox
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    _deliver(stripe_events, "invoice.payment_failed", _invoice(sub, invoice_id="in_R", paid=False))
    _deliver(stripe_events, "invoice.paid", _invoice(sub, invoice_id="in_R"))
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.ACTIVE and sub.grace_until is None
    invoice = Invoice.objects.get(invoice_id="in_R")
    assert invoice.status == "paid" and invoice.pdf_url.endswith("/pdf")
    assert any("Payment received" in m.subject for m in mailoutbox)


def test_payment_method_events_keep_only_brand_and_last4(
    workspace, user, stripe_api, stripe_events
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    _deliver(
        stripe_events,
        "payment_method.attached",
        {
            "id": "pm_x",
            "customer": sub.customer_id,
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "fingerprint": "abc"},
        },
    )
    sub.refresh_from_db()
    assert (sub.card_brand, sub.card_last4) == ("visa", "4242")
    _deliver(
        stripe_events,
        "payment_method.attached",
        {
            "id": "pm_y",
            "customer": sub.customer_id,
            "card": {"brand": "visa", "last4": "4242424242424242"},
        },
    )
    sub.refresh_from_db()
    assert sub.card_last4 == ""


def test_portal_and_invoice_pdf_go_to_stripe(
    logged_in_client, workspace, user, stripe_api, stripe_events
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    portal = logged_in_client.post(reverse("billing:portal"))
    assert portal.status_code == 302
    assert portal["Location"].startswith("https://billing.stripe.test/p/session/")
    session = stripe_api.calls("POST", "/v1/billing_portal/sessions")[-1]
    assert session.form["customer"] == sub.customer_id
    _deliver(stripe_events, "invoice.paid", _invoice(sub, invoice_id="in_Pdf"))
    invoice = Invoice.objects.get(invoice_id="in_Pdf")
    download = logged_in_client.get(reverse("billing:invoice_download", args=[invoice.pk]))
    assert download["Location"] == "https://pay.stripe.test/invoice/in_Pdf/pdf"


def test_gateway_outage_is_a_clear_message_not_a_500(
    logged_in_client, workspace, stripe_api, settings
):
    settings.BILLING_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = logged_in_client.post(reverse("billing:choose"), {"plan": "pro"}, follow=True)
    assert response.status_code == 200
    assert "payment provider could not be reached" in response.content.decode()
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_late_updates_of_an_ended_subscription_do_not_revive_it(
    workspace, user, stripe_api, stripe_events
):
    sub = _subscribed(workspace, user, stripe_api, stripe_events)
    ended = {"id": sub.subscription_id, "customer": sub.customer_id, "status": "canceled"}
    assert _deliver(stripe_events, "customer.subscription.deleted", ended) == "processed"
    assert plan_for_workspace(workspace=workspace).code == "free"
    late = {
        "id": sub.subscription_id,
        "customer": sub.customer_id,
        "status": "active",
        "items": {"data": [{"id": "si_1", "price": {"id": "price_business"}}]},
    }
    assert _deliver(stripe_events, "customer.subscription.updated", late) == "ignored"
    assert plan_for_workspace(workspace=workspace).code == "free"


def test_an_incomplete_subscription_changes_no_plan(workspace, user, stripe_api, stripe_events):
    _choose(workspace, user)
    sub = Subscription.objects.get(workspace=workspace)
    created = {
        "id": "sub_New",
        "customer": sub.customer_id,
        "status": "incomplete",
        "items": {"data": [{"id": "si_1", "price": {"id": "price_business"}}]},
    }
    assert _deliver(stripe_events, "customer.subscription.created", created) == "ignored"
    assert plan_for_workspace(workspace=workspace).code == "free"
