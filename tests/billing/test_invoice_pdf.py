"""Our own invoices as PDF (WeasyPrint): number, amount and billing profile, no card data."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from mailsoftly.billing import documents
from mailsoftly.billing.models import BillingProfile, Invoice, InvoiceStatus
from mailsoftly.core import clock
from tests.billing.luhn import card_numbers


@pytest.fixture
def invoice(workspace):
    now = clock.now()
    return Invoice.objects.create(
        workspace=workspace,
        gateway="fake",
        invoice_id="fin_test_1",
        number="MS-2026-0042",
        status=InvoiceStatus.PAID,
        plan_name="Pro",
        amount_cents=2900,
        currency="usd",
        period_start=now,
        period_end=now + timedelta(days=30),
        issued_at=now,
    )


@pytest.fixture
def profile(workspace):
    return BillingProfile.objects.create(
        workspace=workspace,
        name="Acme <img src='http://127.0.0.1:9/x'> GmbH",
        email="billing@acme.example",
        line1="Hauptstraße 1",
        city="Berlin",
        postal_code="10115",
        country="DE",
        tax_id="DE136695976",
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.policy("P07")
def test_the_invoice_pdf_has_the_number_amount_and_address_and_no_card_data(
    workspace, invoice, profile
):
    pdf = documents.invoice_pdf(invoice=invoice, workspace=workspace)

    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "MS-2026-0042" in text
    assert "USD 29.00" in text
    assert "Hauptstraße 1" in text and "Germany" in text and "DE136695976" in text
    # User text is printed as text, never fetched or run as markup.
    assert "<img src='http://127.0.0.1:9/x'>" in text.replace("\n", " ")
    assert card_numbers(text) == []


def test_the_pdf_fetches_nothing_from_the_network_or_disk():
    with pytest.raises(ValueError, match="fetch nothing"):
        documents._refuse_fetch("file:///etc/passwd")


def test_the_download_is_a_pdf_attachment_named_after_the_invoice(
    logged_in_client, workspace, invoice
):
    response = logged_in_client.get(reverse("billing:invoice_download", args=[invoice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="invoice-MS-2026-0042.pdf"'
    text = _text(response.content)
    assert "MS-2026-0042" in text and "USD 29.00" in text


def test_a_server_without_pango_gets_a_message_not_a_500(
    logged_in_client, workspace, invoice, monkeypatch
):
    def unavailable(**kwargs):
        raise documents.InvoicePdfUnavailable("Invoice PDFs need the pango library.")

    monkeypatch.setattr(documents, "invoice_pdf", unavailable)
    response = logged_in_client.get(
        reverse("billing:invoice_download", args=[invoice.pk]), follow=True
    )
    assert response.status_code == 200
    assert "Invoice PDFs need the pango library." in response.content.decode()


def test_a_gateway_pdf_is_linked_not_rendered(logged_in_client, workspace, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(pdf_url="https://pay.example/invoice.pdf")
    response = logged_in_client.get(reverse("billing:invoice_download", args=[invoice.pk]))
    assert response.status_code == 302
    assert response["Location"] == "https://pay.example/invoice.pdf"
