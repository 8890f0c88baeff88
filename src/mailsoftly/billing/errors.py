"""Errors billing raises. Their messages are shown to users as they are."""

from __future__ import annotations


class BillingError(Exception):
    """A billing action was refused; the message says why (and ``field`` where it belongs)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field


class LimitExceeded(BillingError):
    """The workspace's plan does not allow this. The message names the limit and the way up."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        limit: int | None = None,
        usage: int | None = None,
        plan: str = "",
    ) -> None:
        super().__init__(message)
        self.resource = resource
        self.limit = limit
        self.usage = usage
        self.plan = plan


class GatewayError(BillingError):
    """The payment gateway could not be reached or refused a call."""


class WebhookRejected(Exception):
    """A webhook failed verification (signature, timestamp, body). Answered with 400."""
