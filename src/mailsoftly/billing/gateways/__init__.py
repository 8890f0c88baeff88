"""Payment gateways behind one interface (:class:`~mailsoftly.billing.gateways.base.Gateway`).

``BILLING_GATEWAY`` (from the environment) chooses the one new checkouts use; webhooks
name their gateway in the URL, so subscriptions started on one keep working.
"""

from __future__ import annotations

from django.conf import settings

from mailsoftly.billing.errors import WebhookRejected
from mailsoftly.billing.gateways.base import Gateway

GATEWAYS = ("fake", "stripe")


def gateway_get(name: str | None = None) -> Gateway:
    """The named gateway, or the configured one. An unknown name is a rejected webhook."""
    name = name or settings.BILLING_GATEWAY
    if name == "fake":
        from mailsoftly.billing.gateways.fake import FakeGateway

        return FakeGateway()
    if name == "stripe":
        from mailsoftly.billing.gateways.stripe_gateway import StripeGateway

        return StripeGateway()
    raise WebhookRejected(f"unknown gateway {str(name)[:20]!r}")
