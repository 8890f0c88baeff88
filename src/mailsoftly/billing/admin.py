"""Operators configure plans here; subscriptions, invoices and events are for reading."""

from django.contrib import admin

from mailsoftly.billing.models import BillingProfile, GatewayEvent, Invoice, Plan, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "active",
        "is_free",
        "price_cents",
        "contacts_limit",
        "emails_month_limit",
        "seats_limit",
        "smtp_pools_limit",
    )
    list_editable = ("active",)
    ordering = ("position", "id")


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly):
    list_display = ("workspace", "plan", "status", "gateway", "current_period_end", "grace_until")
    list_filter = ("status", "gateway", "plan")


@admin.register(Invoice)
class InvoiceAdmin(_ReadOnly):
    list_display = ("number", "workspace", "status", "amount_cents", "currency", "issued_at")
    list_filter = ("status", "gateway")


@admin.register(GatewayEvent)
class GatewayEventAdmin(_ReadOnly):
    list_display = ("event_id", "gateway", "event_type", "outcome", "reason", "received_at")
    list_filter = ("outcome", "gateway", "event_type")


@admin.register(BillingProfile)
class BillingProfileAdmin(_ReadOnly):
    list_display = ("workspace", "name", "country")
