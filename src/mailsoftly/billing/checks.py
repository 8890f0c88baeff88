"""System checks: reject gateway configurations that cannot work."""

from django.conf import settings
from django.core.checks import Info, register


@register()
def billing_gateway_check(app_configs, **kwargs):
    problems = []
    if getattr(settings, "PRODUCTION", False) and settings.BILLING_GATEWAY == "fake":
        problems.append(
            Info(
                "BILLING_GATEWAY is 'fake' in production: anyone can take a paid plan for free.",
                hint="Set BILLING_GATEWAY=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.",
                id="billing.I001",
            )
        )
    return problems
