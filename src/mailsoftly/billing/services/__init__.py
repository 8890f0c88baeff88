"""Writes about billing, and the two calls other apps make.

Contracts for other apps:

* ``limit_check(*, workspace, resource, amount=1, value=None) -> None`` raises
  :class:`~mailsoftly.billing.errors.LimitExceeded` (message names the limit and how to
  raise it). ``resource``: ``contacts``, ``emails_month``, ``seats``, ``smtp_pools``,
  ``export_format`` (``value="xlsx"``), ``eu_residency``, ``ip_collection``, ``api``.
* ``usage_get(*, workspace) -> Usage`` (a read, re-exported from the selectors).
"""

from mailsoftly.billing.selectors import usage_get
from mailsoftly.billing.services.lifecycle import (
    customer_ensure,
    plan_choose,
    portal_url,
    subscription_cancel,
    subscription_ensure,
)
from mailsoftly.billing.services.limits import limit_check
from mailsoftly.billing.services.profile import billing_profile_save
from mailsoftly.billing.services.webhooks import subscription_grace_expire, webhook_handle

__all__ = [
    "billing_profile_save",
    "customer_ensure",
    "limit_check",
    "plan_choose",
    "portal_url",
    "subscription_cancel",
    "subscription_ensure",
    "subscription_grace_expire",
    "usage_get",
    "webhook_handle",
]
