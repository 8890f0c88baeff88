"""Billing URLs that take an id, for the cross-workspace isolation test."""

from __future__ import annotations

from mailsoftly.billing.gateways.base import letters_id
from mailsoftly.billing.models import FakeCheckout, Invoice
from mailsoftly.core import clock
from tests.isolation.routes import route


@route("billing:invoice_download")
def _invoice(workspace, user):
    invoice = Invoice.objects.create(
        workspace=workspace,
        gateway="fake",
        invoice_id=letters_id("fin_"),
        number="FAKE-1",
        status="paid",
        amount_cents=2900,
        issued_at=clock.now(),
    )
    return {"invoice_id": invoice.pk}


@route("billing:fake_checkout", methods=("get", "post"))
def _fake_checkout(workspace, user):
    checkout = FakeCheckout.objects.create(
        token=letters_id("", 40),
        workspace=workspace,
        customer_id=letters_id("fcus_"),
        plan_code="pro",
        success_url="/billing/checkout/return/",
        cancel_url="/billing/",
        created_at=clock.now(),
    )
    return {"token": checkout.token}
