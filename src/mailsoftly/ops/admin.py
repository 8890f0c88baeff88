from django.contrib import admin

from mailsoftly.ops.models import PolicyVersion, SupportAccess


@admin.register(SupportAccess)
class SupportAccessAdmin(admin.ModelAdmin):
    """Read-only: the record of staff access (P14) is never edited."""

    list_display = ("at", "staff", "subject", "action", "reason", "ip_address")
    search_fields = ("reason", "subject__username", "staff__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Listing only: publish through the support console so the checks and notices run."""

    list_display = ("kind", "version", "effective_at", "material", "published_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
