"""Invoice documents: our own invoice, rendered to PDF with WeasyPrint.

Used when the gateway has no PDF of its own (the fake gateway of the embedded default);
Stripe's invoices link to Stripe's PDF instead. The page holds the invoice number, dates,
plan, amount and the billing profile, and nothing about the payment method: we never have
card data to print (policy P07).

WeasyPrint gets a URL fetcher that refuses everything, so a billing name such as
``<img src="http://…">`` (autoescaped anyway) can never make the server fetch a URL or
read a local file while it renders.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mailsoftly.billing import selectors
from mailsoftly.billing.models import Invoice

logger = logging.getLogger(__name__)


class InvoicePdfUnavailable(Exception):
    """The PDF could not be rendered on this server; the message is for the user."""


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"invoice PDFs fetch nothing (asked for {url[:80]!r})")


def invoice_html(*, invoice: Invoice, workspace) -> str:
    """The invoice as one self-contained HTML page (inline styles, no external resources)."""
    return render_to_string(
        "billing/invoice_document.html",
        {
            "invoice": invoice,
            "workspace": workspace,
            "profile": selectors.billing_profile_get(workspace=workspace),
        },
    )


def invoice_pdf(*, invoice: Invoice, workspace) -> bytes:
    """The invoice as PDF bytes, or :class:`InvoicePdfUnavailable` with a clear message."""
    try:
        import weasyprint
    except OSError as exc:  # WeasyPrint loads pango when imported: missing system library
        logger.warning("WeasyPrint cannot load its system libraries: %s", exc)
        raise InvoicePdfUnavailable(
            _(
                "Invoice PDFs need the pango library on the server. Ask your administrator "
                "to install it (Debian: libpango-1.0-0)."
            )
        ) from exc
    document = weasyprint.HTML(
        string=invoice_html(invoice=invoice, workspace=workspace),
        url_fetcher=_refuse_fetch,
    )
    return document.write_pdf()


def invoice_filename(*, invoice: Invoice, extension: str = "pdf") -> str:
    stem = "".join(c for c in (invoice.number or str(invoice.pk)) if c.isalnum() or c in "-_")
    return f"invoice-{stem or invoice.pk}.{extension}"
