from django.contrib import admin

from mailsoftly.teams.models import Membership, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "is_personal", "created_at", "trashed_at"]
    list_filter = ["region", "is_personal"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "disabled_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "workspace"]
