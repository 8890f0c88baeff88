"""The plans a fresh installation offers. Operators change them in the admin afterwards.

EU data residency stays on for every default plan: the policy promises EU users that
their data can stay in Europe (P40). The switch exists so an operator may decide otherwise.
"""

from __future__ import annotations

RESOURCES = (
    "contacts",
    "emails_month",
    "seats",
    "smtp_pools",
    "export_format",
    "eu_residency",
    "ip_collection",
    "api",
)

DEFAULT_PLANS: list[dict] = [
    {
        "code": "free",
        "name": "Free",
        "position": 0,
        "is_free": True,
        "price_cents": 0,
        "contacts_limit": 500,
        "emails_month_limit": 2_000,
        "seats_limit": 1,
        "smtp_pools_limit": 1,
        "export_formats": ["csv"],
        "eu_residency": True,
        "ip_collection": False,
        "api_access": False,
    },
    {
        "code": "pro",
        "name": "Pro",
        "position": 10,
        "price_cents": 2_900,
        "contacts_limit": 10_000,
        "emails_month_limit": 100_000,
        "seats_limit": 5,
        "smtp_pools_limit": 3,
        "export_formats": ["csv", "json", "xlsx"],
        "eu_residency": True,
        "ip_collection": True,
        "api_access": True,
    },
    {
        "code": "business",
        "name": "Business",
        "position": 20,
        "price_cents": 9_900,
        "contacts_limit": 100_000,
        "emails_month_limit": 1_000_000,
        "seats_limit": 25,
        "smtp_pools_limit": 10,
        "export_formats": ["csv", "json", "xlsx", "eml", "mbox", "zip"],
        "eu_residency": True,
        "ip_collection": True,
        "api_access": True,
    },
]


def plans_seed(plan_model) -> None:
    """Create the default plans where none exist (migration, demo, a flushed test DB)."""
    if plan_model.objects.exists():
        return
    for values in DEFAULT_PLANS:
        plan_model.objects.get_or_create(code=values["code"], defaults=values)
