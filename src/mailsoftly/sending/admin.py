from django.contrib import admin

from mailsoftly.sending.models import DkimKey, SenderIdentity, SmtpServer


@admin.register(SmtpServer)
class SmtpServerAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "port", "security", "workspace_id")
    exclude = ("password",)


@admin.register(SenderIdentity)
class SenderIdentityAdmin(admin.ModelAdmin):
    list_display = ("from_name", "from_email", "workspace_id")


@admin.register(DkimKey)
class DkimKeyAdmin(admin.ModelAdmin):
    list_display = ("domain", "selector", "algorithm", "workspace_id")
