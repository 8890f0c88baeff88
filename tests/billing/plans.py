"""Test helpers: put a workspace on a plan through billing's own models and selectors."""

from __future__ import annotations

from mailsoftly.billing import selectors
from mailsoftly.billing.models import Plan, Subscription, SubscriptionStatus

ALL_EXPORT_FORMATS = ["csv", "json", "xlsx", "eml", "mbox", "zip"]


def plan_unlimited() -> Plan:
    """An operator plan with empty (= unlimited) limits and every feature; not offered."""
    selectors.plan_list()  # seeds the default plans first, as a fresh installation has them
    plan, _created = Plan.objects.get_or_create(
        code="test-unlimited",
        defaults={
            "name": "Unlimited (test)",
            "position": 1000,
            "active": False,
            "price_cents": 0,
            "contacts_limit": None,
            "emails_month_limit": None,
            "seats_limit": None,
            "smtp_pools_limit": None,
            "export_formats": ALL_EXPORT_FORMATS,
            "eu_residency": True,
            "ip_collection": True,
            "api_access": True,
        },
    )
    return plan


def workspace_subscribe(workspace, plan: Plan) -> Subscription:
    """Put ``workspace`` on ``plan``, paid up (status active)."""
    sub, _created = Subscription.objects.update_or_create(
        workspace=workspace,
        defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE, "subscription_id": "sub_t"},
    )
    return sub


def workspace_unlimited(workspace) -> Subscription:
    return workspace_subscribe(workspace, plan_unlimited())
