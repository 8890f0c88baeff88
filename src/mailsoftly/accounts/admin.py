from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mailsoftly.accounts import services
from mailsoftly.accounts.models import ConsentRecord, MarketingConsent, PolicyAcceptance, User


@admin.action(description=_("Disable selected accounts now (sign-in refused, sessions ended)"))
def disable_accounts(modeladmin, request, queryset):
    count = 0
    for user in queryset.exclude(pk=request.user.pk):
        services.user_disable(user=user, reason="Disabled by staff in the admin", by=request.user)
        count += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d account disabled.", "%(count)d accounts disabled.", count)
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = [disable_accounts]
    list_display = ("username", "email", "is_active", "disabled_at", "date_joined", "is_staff")
    list_filter = (*DjangoUserAdmin.list_filter, "marketing_opt_in")
    readonly_fields = (
        "disabled_at",
        "disabled_reason",
        "marketing_opt_in",
        "first_touch_referrer",
        "first_touch_landing",
        "first_touch_at",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
    )
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("language", "timezone", "marketing_opt_in")}),
        (
            _("Referral (first touch)"),
            {
                "fields": (
                    "first_touch_referrer",
                    "first_touch_landing",
                    "first_touch_at",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "utm_term",
                    "utm_content",
                )
            },
        ),
        (_("Disabled"), {"fields": ("disabled_at", "disabled_reason")}),
    )


@admin.register(PolicyAcceptance)
class PolicyAcceptanceAdmin(admin.ModelAdmin):
    list_display = ("user", "policy_version", "accepted_at", "ip_address", "revoked_at")
    readonly_fields = ("user", "policy_version", "accepted_at", "ip_address", "source")


@admin.register(MarketingConsent)
class MarketingConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "granted", "source", "recorded_at", "ip_address")
    list_filter = ("granted", "source")
    readonly_fields = ("user", "granted", "source", "recorded_at", "ip_address", "consent_text")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only (rows are added by the services)."""

    list_display = ("recorded_at", "user", "purpose", "granted", "source", "ip_address")
    list_filter = ("purpose", "granted", "source")
    search_fields = ("user__username", "user__email")
    readonly_fields = (
        "user",
        "session_ref",
        "purpose",
        "granted",
        "source",
        "recorded_at",
        "ip_address",
        "consent_text",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
