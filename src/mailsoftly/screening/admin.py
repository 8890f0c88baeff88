from django.contrib import admin

from mailsoftly.screening.models import AccountRisk, BlockedDomain, SignupRecord


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "note", "created_at"]
    search_fields = ["domain"]


@admin.register(AccountRisk)
class AccountRiskAdmin(admin.ModelAdmin):
    list_display = ["workspace", "level", "score", "suspended_at", "updated_at"]
    list_filter = ["level"]
    readonly_fields = ["signals", "score"]


@admin.register(SignupRecord)
class SignupRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "ip", "ip_prefix", "email_domain", "disposable"]
    list_filter = ["disposable"]
