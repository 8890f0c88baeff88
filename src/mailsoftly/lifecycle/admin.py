"""Staff tools: restore a deleted account, place and release legal holds."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mailsoftly.lifecycle import services
from mailsoftly.lifecycle.models import AccountDeletion, DataRequest, LegalHold, LegalHoldAccess


@admin.register(AccountDeletion)
class AccountDeletionAdmin(admin.ModelAdmin):
    list_display = ["username", "email", "requested_at", "purge_after", "restored_at", "purged_at"]
    list_filter = ["restored_at", "purged_at"]
    search_fields = ["username", "email"]
    actions = ["restore_accounts"]
    readonly_fields = [f.name for f in AccountDeletion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Restore the selected accounts (within 30 days)"))
    def restore_accounts(self, request, queryset):
        for deletion in queryset:
            try:
                services.account_deletion_restore(
                    deletion=deletion, actor=request.user, request=request
                )
            except services.AccountDeletionError as exc:
                self.message_user(request, f"{deletion.username}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, _("%(name)s restored.") % {"name": deletion.username}, messages.SUCCESS
                )


class LegalHoldAccessInline(admin.TabularInline):
    model = LegalHoldAccess
    extra = 0
    can_delete = False
    readonly_fields = ["actor_label", "accessed_at", "rows"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["scope", "user", "workspace", "object_type", "object_id", "reason", "reference"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            try:
                services.legal_hold_check(
                    scope=data.get("scope"),
                    reason=data.get("reason", ""),
                    reference=data.get("reference", ""),
                    user=data.get("user"),
                    workspace=data.get("workspace"),
                    object_type=data.get("object_type", ""),
                    object_id=data.get("object_id", ""),
                )
            except services.LegalHoldError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    form = LegalHoldForm
    list_display = ["reference", "scope", "user", "workspace", "placed_at", "released_at", "export"]
    list_filter = ["scope", "released_at"]
    search_fields = ["reference", "reason"]
    raw_id_fields = ["user", "workspace"]
    fields = ["scope", "user", "workspace", "object_type", "object_id", "reason", "reference"]
    inlines = [LegalHoldAccessInline]
    actions = ["release_holds"]

    def get_inlines(self, request, obj):
        # The access log exists only once the hold does.
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        # A hold is never edited after it is placed; it is released.
        return self.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("export"))
    def export(self, obj: LegalHold):
        url = reverse("lifecycle:legal_hold_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download (logged)"))

    def save_model(self, request, obj, form, change):
        if change:
            return
        hold = services.legal_hold_place(
            actor=request.user,
            scope=obj.scope,
            reason=obj.reason,
            reference=obj.reference,
            user=obj.user,
            workspace=obj.workspace,
            object_type=obj.object_type,
            object_id=obj.object_id,
            request=request,
        )
        obj.pk = hold.pk
        obj.placed_at = hold.placed_at

    @admin.action(description=_("Release the selected holds"))
    def release_holds(self, request, queryset):
        for hold in queryset:
            try:
                services.legal_hold_release(hold=hold, actor=request.user, request=request)
            except services.LegalHoldError as exc:
                self.message_user(request, f"{hold.reference}: {exc}", messages.WARNING)


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    """The register of access, correction and deletion requests (policy P24)."""

    list_display = ["requester_email", "kind", "received_at", "due_at", "overdue", "closed_at"]
    list_filter = ["kind", "closed_at"]
    search_fields = ["requester_email", "details"]
    raw_id_fields = ["user"]
    fields = ["kind", "requester_email", "user", "details", "outcome"]
    actions = ["close_requests"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: DataRequest) -> bool:
        from mailsoftly.core import clock

        return obj.closed_at is None and obj.due_at < clock.now()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        entry = services.data_request_record(
            kind=obj.kind,
            requester_email=obj.requester_email,
            user=obj.user,
            details=obj.details,
            actor=request.user,
        )
        obj.pk = entry.pk
        obj.due_at = entry.due_at

    @admin.action(description=_("Mark the selected requests answered"))
    def close_requests(self, request, queryset):
        for entry in queryset:
            services.data_request_close(entry=entry, actor=request.user)
