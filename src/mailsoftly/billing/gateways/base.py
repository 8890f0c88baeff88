"""The gateway interface: what billing needs from a payment provider, and nothing more.

A gateway creates customers, starts a hosted checkout (the card is typed on the gateway's
page, never ours), opens its customer portal, changes and cancels subscriptions, and turns
a signed webhook into a normalised :class:`Event`. Implementations: ``fake`` (local, no
money, no card field at all) and ``stripe``.
"""

from __future__ import annotations

import re
import secrets
import string
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


class Kind:
    """Normalised event kinds. Anything else is ``UNKNOWN`` and is ignored."""

    CHECKOUT_COMPLETED = "checkout.completed"
    SUBSCRIPTION_UPDATED = "subscription.updated"
    SUBSCRIPTION_DELETED = "subscription.deleted"
    INVOICE_PAID = "invoice.paid"
    INVOICE_FAILED = "invoice.payment_failed"
    PAYMENT_METHOD = "payment_method.updated"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class InvoiceData:
    invoice_id: str
    number: str
    paid: bool
    amount_cents: int
    currency: str
    period_start: datetime | None = None
    period_end: datetime | None = None
    pdf_url: str = ""
    hosted_url: str = ""


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    raw_type: str
    created: datetime
    customer_id: str = ""
    # What the gateway says the event is about, from the reference we gave at checkout.
    workspace_ref: str = ""
    subscription_id: str = ""
    plan_code: str = ""
    price_id: str = ""
    status: str = ""
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    invoice: InvoiceData | None = None
    card_brand: str = ""
    card_last4: str = ""


_LAST4 = re.compile(r"^\d{4}$")
_BRAND = re.compile(r"^[A-Za-z _-]{1,24}$")


def card_summary(brand: object, last4: object) -> tuple[str, str]:
    """The only card facts we keep: a brand word and exactly four digits, else nothing."""
    brand = str(brand or "")
    last4 = str(last4 or "")
    return (brand if _BRAND.match(brand) else "", last4 if _LAST4.match(last4) else "")


def letters_id(prefix: str, length: int = 24) -> str:
    """A random id of letters only, so no id can ever look like a card number."""
    return prefix + "".join(secrets.choice(string.ascii_letters) for _ in range(length))


class Gateway(ABC):
    name: str = ""
    # Origins the gateway's scripts come from, for the Content-Security-Policy.
    script_origins: tuple[str, ...] = ()

    @abstractmethod
    def customer_create(
        self, *, workspace, name: str, email: str, address: Mapping[str, str], idempotency_key: str
    ) -> str:
        """Create the gateway's customer for a workspace; returns its id."""

    @abstractmethod
    def checkout_start(
        self,
        *,
        workspace,
        customer_id: str,
        plan,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> str:
        """Start a hosted checkout for ``plan``; returns the URL to send the user to."""

    @abstractmethod
    def portal_url(self, *, customer_id: str, return_url: str) -> str:
        """The gateway's customer portal (payment method, invoices), or our own page."""

    @abstractmethod
    def subscription_change(self, *, subscription_id: str, plan, idempotency_key: str) -> None:
        """Move a subscription to another plan; the gateway computes proration."""

    @abstractmethod
    def subscription_cancel(
        self, *, subscription_id: str, at_period_end: bool, idempotency_key: str
    ) -> None:
        """Cancel at the end of the paid period, or at once (after the grace period)."""

    @abstractmethod
    def webhook_parse(self, *, payload: bytes, headers: Mapping[str, str]) -> Event:
        """Verify and normalise a webhook. Raises WebhookRejected when it is not genuine."""
