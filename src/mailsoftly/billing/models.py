"""Billing rows. All in the directory database: billing belongs to the account, not a region.

Nothing here can hold card data (policy P07): gateway ids, and at most a card's brand and
last four digits as the gateway reports them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Interval(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


class Plan(models.Model):
    """What a workspace may use. Operators edit plans in the Django admin.

    An empty limit means unlimited. Exactly one plan is the free plan: every workspace
    without a paid subscription is on it, and a lapsed subscription falls back to it.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order on the plans page; higher is bigger.")
    )
    is_free = models.BooleanField(_("free plan"), default=False)
    active = models.BooleanField(_("offered"), default=True)
    price_cents = models.PositiveIntegerField(_("price (cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    interval = models.CharField(
        _("billing interval"), max_length=8, choices=Interval.choices, default=Interval.MONTH
    )
    gateway_price_id = models.CharField(
        _("gateway price id"),
        max_length=120,
        blank=True,
        help_text=_("The Stripe Price id this plan is sold as (price_…)."),
    )
    contacts_limit = models.PositiveIntegerField(_("contacts"), null=True, blank=True)
    emails_month_limit = models.PositiveIntegerField(_("emails per month"), null=True, blank=True)
    seats_limit = models.PositiveIntegerField(_("team seats"), null=True, blank=True)
    smtp_pools_limit = models.PositiveIntegerField(_("SMTP pools"), null=True, blank=True)
    export_formats = models.JSONField(
        _("export formats"), default=list, blank=True, help_text=_('For example ["csv", "json"].')
    )
    eu_residency = models.BooleanField(_("EU data residency"), default=True)
    ip_collection = models.BooleanField(_("IP collection"), default=False)
    api_access = models.BooleanField(_("API access"), default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_free"], condition=models.Q(is_free=True), name="billing_one_free_plan"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def price(self) -> Decimal:
        return Decimal(self.price_cents) / 100


class SubscriptionStatus(models.TextChoices):
    FREE = "free", _("Free")
    PENDING = "pending", _("Waiting for payment")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Payment failed")
    CANCELED = "canceled", _("Canceled")


class Subscription(models.Model):
    """A workspace's standing with the gateway. ``plan`` is the plan in force right now."""

    workspace = models.OneToOneField(
        "teams.Workspace", on_delete=models.CASCADE, related_name="billing_subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.FREE
    )
    gateway = models.CharField(max_length=16, blank=True)
    customer_id = models.CharField(max_length=120, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=120, blank=True, db_index=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    grace_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # As the gateway reports them; never more of a card than this.
    card_brand = models.CharField(max_length=24, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # The newest gateway event applied: older ones arriving late are ignored.
    last_event_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "customer_id"],
                condition=~models.Q(customer_id=""),
                name="billing_customer_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.plan} ({self.status})"


class BillingProfile(models.Model):
    """Who pays and where (policy P06). The country is the workspace's location."""

    workspace = models.OneToOneField(
        "teams.Workspace", on_delete=models.CASCADE, related_name="billing_profile"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("billing email"))
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address (line 2)"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    country = CountryField(_("country"))
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class EventOutcome(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")


class GatewayEvent(models.Model):
    """One webhook event seen, by gateway event id: the second delivery is a no-op."""

    gateway = models.CharField(max_length=16)
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=80)
    event_created = models.DateTimeField()
    received_at = models.DateTimeField()
    workspace = models.ForeignKey(
        "teams.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=EventOutcome.choices)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="billing_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.event_id} {self.event_type}"


class InvoiceStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    OPEN = "open", _("Unpaid")
    VOID = "void", _("Void")


class Invoice(models.Model):
    """An invoice as the gateway issued it; the PDF is the gateway's or our own."""

    workspace = models.ForeignKey(
        "teams.Workspace", on_delete=models.CASCADE, related_name="billing_invoices"
    )
    gateway = models.CharField(max_length=16)
    invoice_id = models.CharField(max_length=120)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices)
    plan_name = models.CharField(max_length=80, blank=True)
    amount_cents = models.IntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()
    pdf_url = models.URLField(max_length=500, blank=True)
    hosted_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "invoice_id"], name="billing_invoice_once")
        ]

    def __str__(self) -> str:
        return self.number or self.invoice_id

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_cents) / 100


class FakeCheckoutStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    CANCELED = "canceled", _("Canceled")


class FakeCheckout(models.Model):
    """The local fake gateway's own state: a hosted checkout that takes no card at all."""

    token = models.CharField(max_length=64, unique=True)
    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="+")
    customer_id = models.CharField(max_length=120)
    plan_code = models.CharField(max_length=32)
    success_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    status = models.CharField(
        max_length=16, choices=FakeCheckoutStatus.choices, default=FakeCheckoutStatus.OPEN
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"fake checkout {self.plan_code} ({self.status})"


class FakeSubscription(models.Model):
    """The fake gateway's record of a subscription, so it can renew, fail and prorate."""

    subscription_id = models.CharField(max_length=120, unique=True)
    customer_id = models.CharField(max_length=120)
    workspace = models.ForeignKey("teams.Workspace", on_delete=models.CASCADE, related_name="+")
    plan_code = models.CharField(max_length=32)
    status = models.CharField(max_length=16, default="active")
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    invoice_count = models.PositiveIntegerField(default=0)
    open_invoice_id = models.CharField(max_length=120, blank=True)

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.plan_code} ({self.status})"
