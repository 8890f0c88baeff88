"""The audit rows, in two tables with the same columns (policy P40).

* :class:`AuditEvent` lives in the directory database, beside users and workspaces: account
  and workspace-administration events (sign-in, membership, roles, invitations, domains,
  billing, account deletion, region moves).
* :class:`RegionalAuditEvent` lives in the database of the workspace's region: events about
  the workspace's content (contacts, lists, designs, campaigns, exports, trash, screening
  results). It moves with the workspace when it changes region.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import RegionGuardedQuerySet, database_for

# Set only by the retention purge; every other attempt to delete an audit row is refused.
_purge_allowed: ContextVar[bool] = ContextVar("mailsoftly_audit_purge", default=False)
# Set only by the IP anonymisation, the one update allowed (and the database agrees).
_anonymise_allowed: ContextVar[bool] = ContextVar("mailsoftly_audit_anonymise", default=False)
FORGOTTEN = {"ip": None, "user_agent": ""}


class AppendOnlyError(RuntimeError):
    """Audit rows cannot be changed, and deleted only by the retention purge."""


class _AppendOnly:
    """Queryset methods that refuse to change rows (mixed in before the queryset class)."""

    def update(self, **kwargs):
        if _anonymise_allowed.get() and kwargs == FORGOTTEN:
            return super().update(**kwargs)
        raise AppendOnlyError("audit rows are append-only")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are append-only")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError("audit rows are append-only")

    def delete(self):
        if not _purge_allowed.get():
            raise AppendOnlyError("audit rows are deleted only by the retention purge")
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class AuditEventQuerySet(_AppendOnly, models.QuerySet):
    pass


class RegionalAuditEventQuerySet(_AppendOnly, RegionGuardedQuerySet):
    def for_workspace(self, workspace) -> RegionalAuditEventQuerySet:
        return self.using(workspace.database).filter(workspace_id=workspace.pk)

    def dangerously_all_workspaces(self, region: str) -> RegionalAuditEventQuerySet:
        """Every workspace's content entries in ``region``: for the retention jobs only."""
        return self.using(database_for(region))


class AuditEntry(models.Model):
    """One thing that happened: who did what to which object, from which IP and browser."""

    # Plain ids without database constraints: the row must outlive the user and workspace
    # it mentions, and deleting them must never touch (update) an audit row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=254, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not _purge_allowed.get():
            raise AppendOnlyError("audit rows are deleted only by the retention purge")
        return super().delete(*args, **kwargs)

    @property
    def target_display(self) -> str:
        """The label where one is kept, else the kind of row and its id ("contact #2")."""
        if self.target_label:
            return self.target_label
        if not self.target_id:
            return ""
        from django.apps import apps

        try:
            kind = apps.get_model(self.target_type)._meta.verbose_name
        except (LookupError, ValueError):
            kind = self.target_type
        return f"{kind} #{self.target_id}" if kind else self.target_id


class AuditEvent(AuditEntry):
    """A directory entry: accounts, memberships and the workspace's administration."""

    workspace = models.ForeignKey(
        "teams.Workspace",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("workspace"),
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta(AuditEntry.Meta):
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_ws_time")]


class RegionalAuditEvent(AuditEntry):
    """An entry about a workspace's content, kept in the workspace's region database.

    Regional like :class:`~mailsoftly.core.tenancy.WorkspaceOwned` rows (the router sends
    it to the workspace's region; a region move copies, verifies and purges it), but not
    trashable: audit rows are never edited and go only by the retention purge.
    """

    _mailsoftly_regional = True

    workspace = models.ForeignKey(
        "teams.Workspace",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("workspace"),
    )

    objects = RegionalAuditEventQuerySet.as_manager()

    class Meta(AuditEntry.Meta):
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_regional_ws_time")]
