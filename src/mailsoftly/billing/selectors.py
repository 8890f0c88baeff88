"""Reads about plans, subscriptions, usage, invoices and billing profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from mailsoftly.billing import usage as usage_adapters
from mailsoftly.billing.models import (
    BillingProfile,
    Invoice,
    Plan,
    Subscription,
    SubscriptionStatus,
)
from mailsoftly.billing.plans import plans_seed
from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id

# EU member states (ISO 3166-1 alpha-2). A billing address here proposes the EU region.
EU_COUNTRIES = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)


def plan_list(*, offered_only: bool = True) -> QuerySet[Plan]:
    plans_seed(Plan)
    plans = Plan.objects.all()
    return plans.filter(active=True) if offered_only else plans


def plan_free() -> Plan:
    plans_seed(Plan)
    plan = Plan.objects.filter(is_free=True).first()
    if plan is None:
        # An operator unticked every "free plan": the smallest plan is the floor.
        plan = Plan.objects.order_by("position", "id").first()
    return plan


def plan_get(*, code: str) -> Plan | None:
    plans_seed(Plan)
    return Plan.objects.filter(code=str(code)[:32], active=True).first()


def plan_by_gateway_price(*, price_id: str) -> Plan | None:
    if not price_id:
        return None
    return Plan.objects.filter(gateway_price_id=price_id).first()


def subscription_get(*, workspace) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(workspace_id=workspace.pk).first()


def subscription_by_customer(*, gateway: str, customer_id: str) -> Subscription | None:
    if not customer_id:
        return None
    return (
        Subscription.objects.select_related("plan", "workspace")
        .filter(gateway=gateway, customer_id=customer_id)
        .first()
    )


def plan_for_workspace(*, workspace) -> Plan:
    """The plan in force: the subscribed plan while paid up or in grace, else the free plan."""
    subscription = subscription_get(workspace=workspace)
    if subscription is not None and subscription.status in (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
    ):
        return subscription.plan
    return plan_free()


def month_start(now: datetime | None = None) -> datetime:
    """The start of the current calendar month (UTC): the monthly send allowance resets here."""
    now = now or clock.now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Meter:
    resource: str
    used: int | None  # None: the owning app is not installed, so not tracked
    limit: int | None  # None: unlimited

    @property
    def percent(self) -> int:
        if not self.limit or self.used is None:
            return 0
        return min(100, round(100 * self.used / self.limit))

    @property
    def at_limit(self) -> bool:
        return self.limit is not None and self.used is not None and self.used >= self.limit


@dataclass(frozen=True)
class Usage:
    plan: Plan
    period_start: datetime
    contacts: Meter
    emails_month: Meter
    seats: Meter
    smtp_pools: Meter

    @property
    def meters(self) -> list[Meter]:
        return [self.contacts, self.emails_month, self.seats, self.smtp_pools]


def usage_get(*, workspace) -> Usage:
    """Current usage against the plan in force, for limit checks and the usage page."""
    plan = plan_for_workspace(workspace=workspace)
    since = month_start()
    return Usage(
        plan=plan,
        period_start=since,
        contacts=Meter("contacts", usage_adapters.contacts_count(workspace), plan.contacts_limit),
        emails_month=Meter(
            "emails_month",
            usage_adapters.emails_sent_since(workspace, since),
            plan.emails_month_limit,
        ),
        seats=Meter("seats", usage_adapters.seats_count(workspace), plan.seats_limit),
        smtp_pools=Meter(
            "smtp_pools", usage_adapters.smtp_pools_count(workspace), plan.smtp_pools_limit
        ),
    )


def invoice_list(*, workspace) -> QuerySet[Invoice]:
    return Invoice.objects.filter(workspace_id=workspace.pk)


def access_invoice(*, workspace, id) -> Invoice:
    """One of the workspace's invoices, or 404 alike for missing and not yours."""
    parsed = parse_id(id)
    invoice = (
        Invoice.objects.filter(workspace_id=workspace.pk, pk=parsed).first() if parsed else None
    )
    if invoice is None:
        raise Http404("invoice")
    return invoice


def billing_profile_get(*, workspace) -> BillingProfile | None:
    return BillingProfile.objects.filter(workspace_id=workspace.pk).first()


def workspace_location(*, workspace) -> str:
    """The workspace's location (policy P06): its billing country code, or "" if unknown."""
    profile = billing_profile_get(workspace=workspace)
    return profile.country.code if profile and profile.country else ""


def region_proposed_for_country(country: str) -> str:
    """The data region to propose for a billing country: EU countries get "eu"."""
    return "eu" if str(country).upper() in EU_COUNTRIES else "us"


def billing_contact_get(*, workspace):
    """The teams app's billing contact (policy P21), or None where that app has none yet."""
    try:
        from mailsoftly.teams.services.billing import billing_contact_get as teams_get
    except ImportError:
        return None
    return teams_get(workspace=workspace)


def primary_admin_email(*, workspace) -> str:
    from mailsoftly.teams.models import Membership, Role

    membership = (
        Membership.objects.filter(
            workspace_id=workspace.pk, role=Role.PRIMARY_ADMIN, disabled_at__isnull=True
        )
        .select_related("user")
        .first()
    )
    return membership.user.email if membership else ""


def region_proposed_for_user(*, user) -> str | None:
    """The data region to propose for a new workspace of ``user`` (policy P06).

    From the billing country of the workspaces they administer, the most recently
    updated profile first; None when they have given no billing address yet.
    """
    from mailsoftly.teams.models import Membership, Role

    workspace_ids = Membership.objects.filter(
        user_id=user.pk,
        disabled_at__isnull=True,
        role__in=[Role.PRIMARY_ADMIN, Role.ADMIN],
    ).values("workspace_id")
    profile = (
        BillingProfile.objects.filter(workspace_id__in=workspace_ids)
        .order_by("-updated_at", "-id")
        .first()
    )
    return region_proposed_for_country(profile.country.code) if profile else None
