"""Lifecycle rows.

Regional (in the workspace's region database): :class:`ExportJob` and its
:class:`ExportDownload` log. Directory (beside users and workspaces): :class:`LegalHold`,
:class:`LegalHoldAccess` and :class:`AccountDeletion`, because they are about accounts
and workspaces as a whole and must outlive the content they protect or remove.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import RegionalUploadTo, regional_storage
from mailsoftly.core.tenancy import WorkspaceOwned


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    XLSX = "xlsx", "XLSX"
    EML = "eml", _("EML (each sent email)")
    MBOX = "mbox", _("mbox (each campaign)")
    ZIP = "zip", _("ZIP backup")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(WorkspaceOwned):
    """One export of a workspace's data; its file lives in the workspace's region storage."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    file = models.FileField(
        _("file"),
        storage=regional_storage,
        upload_to=RegionalUploadTo("exports"),
        blank=True,
        max_length=500,
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        created = self.created_at.date().isoformat() if self.created_at else "…"
        return _("%(format)s export of %(date)s") % {
            "format": self.get_format_display(),
            "date": created,
        }


class ExportDownload(WorkspaceOwned):
    """One download of an export: trashed, restored and purged together with its export."""

    export = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="downloads")
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("export download")
        verbose_name_plural = _("export downloads")

    def __str__(self) -> str:
        return _("Download of export #%(id)s") % {"id": self.export_id}


class HoldScope(models.TextChoices):
    ACCOUNT = "account", _("Account")
    WORKSPACE = "workspace", _("Workspace")
    OBJECT = "object", _("Single object")


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """Data kept by legal obligation (policy P28): never purged, hidden from its owner,
    readable only through this hold's export, every access logged."""

    scope = models.CharField(_("scope"), max_length=16, choices=HoldScope.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("account"),
    )
    workspace = models.ForeignKey(
        "teams.Workspace",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("workspace"),
    )
    # For a single-object hold: the model's label ("contacts.contact") and primary key.
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"))
    reference = models.CharField(_("reference"), max_length=200)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_scope_display()})"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class LegalHoldAccess(models.Model):
    """Every read of held data, through the hold's export. Never edited.

    The reader's IP address is not kept here: the audit entry written with each access
    carries it, and the audit log forgets IP addresses after its retention period.
    """

    hold = models.ForeignKey(LegalHold, on_delete=models.PROTECT, related_name="accesses")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254)
    accessed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("legal hold access")
        verbose_name_plural = _("legal hold accesses")
        ordering = ["-accessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_label} @ {self.accessed_at:%Y-%m-%d %H:%M}"


class AccountDeletion(models.Model):
    """A request to delete an account (policy P29): disabled at once, purged after 30 days."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept after the purge, so the register still says whose account it was.
    username = models.CharField(_("username"), max_length=150)
    email = models.EmailField(_("email address"), max_length=254, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    purge_after = models.DateTimeField(_("purge after"), db_index=True)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account deletion")
        verbose_name_plural = _("account deletions")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(restored_at__isnull=True, purged_at__isnull=True),
                name="one_pending_deletion_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.state_label})"

    @property
    def is_pending(self) -> bool:
        return self.restored_at is None and self.purged_at is None

    @property
    def state_label(self) -> str:
        if self.purged_at:
            return str(_("purged"))
        if self.restored_at:
            return str(_("restored"))
        return str(_("pending"))

    def restorable_at(self, now: datetime) -> bool:
        return self.is_pending and now < self.purge_after


class DataRequestKind(models.TextChoices):
    ACCESS = "access", _("Access")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")


class DataRequest(models.Model):
    """The staff register of privacy requests (policy P24), each with its due date."""

    kind = models.CharField(_("kind"), max_length=16, choices=DataRequestKind.choices)
    requester_email = models.EmailField(_("requester's email"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account"),
    )
    details = models.TextField(_("details"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"), db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["closed_at", "due_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.requester_email}"
