"""The address book of a workspace.

Every model here is regional and trashable (:class:`WorkspaceOwned`). A contact's address is
kept twice: ``email`` as normalised for sending (trimmed, domain lower-cased and IDNA-encoded)
and ``email_key`` (the same, case-folded) which is what uniqueness, dedupe and suppression
compare, so ``Ann@x.org`` and ``ann@x.org`` are one contact.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.tenancy import WorkspaceOwned


class BulkOwned(WorkspaceOwned):
    """WorkspaceOwned for the tables an import fills by the million (contacts and their
    subscriptions, tags and consent records).

    The trash columns get no full index here, only a partial one over trashed rows (see
    :func:`trash_indexes`): almost every row is live, so a full index is pure write cost
    for each imported row while the restore and the purge only ever look for trashed ones.

    The foreign keys of the child tables (subscriptions, tag links, consent records) have
    no database constraint (:data:`CHILD_FK`). PostgreSQL checks a constraint with one
    query per inserted row, which cost an import more than writing the rows did. What the
    constraints guaranteed is kept by the writers instead: deletes cascade through Django's
    collector (``on_delete``), the bulk writer takes the same ``FOR KEY SHARE`` locks on the
    referenced contacts, list and tags once per batch (``contacts/bulk/postgres.py``), and
    erasure locks the contact before it collects its rows (``contact_erase``).
    """

    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
        db_index=False,
    )

    class Meta(WorkspaceOwned.Meta):
        abstract = True


# Keyword arguments of a child table's foreign key: see BulkOwned's docstring.
CHILD_FK = {"db_constraint": False}


def trash_indexes(prefix: str) -> list[models.Index]:
    trashed = models.Q(trashed_at__isnull=False)
    return [
        models.Index(fields=["trashed_at"], condition=trashed, name=f"{prefix}_trashed"),
        models.Index(
            fields=["trashed_by"],
            condition=models.Q(trashed_by__isnull=False),
            name=f"{prefix}_trashed_by",
        ),
    ]


class ContactStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    BLOCKLISTED = "blocklisted", _("Blocklisted")


class Contact(BulkOwned):
    # No single-column index: every index of this table starts with the workspace.
    workspace = models.ForeignKey(
        "teams.Workspace",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    email = models.CharField(_("email"), max_length=320)
    email_key = models.CharField(max_length=320, editable=False)
    # SHA-256 of email_key: what the suppression list matches, even for erased addresses.
    email_hash = models.CharField(max_length=64, editable=False, default="")
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ContactStatus.choices, default=ContactStatus.ACTIVE
    )
    # Values of the workspace's CustomField definitions, keyed by CustomField.key. Dates are
    # ISO strings, numbers are JSON numbers, booleans JSON booleans.
    fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    source = models.CharField(max_length=32, blank=True)
    # What the contacts page's search box matches (substring). On PostgreSQL a pg_trgm GIN
    # index over it (migration 0003) answers ``LIKE '%...%'`` without scanning the table.
    search_text = models.GeneratedField(
        expression=Lower(
            Concat(
                "email_key",
                models.Value(" "),
                "first_name",
                models.Value(" "),
                "last_name",
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("contact")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email_key"],
                condition=models.Q(trashed_at__isnull=True),
                name="contact_email_unique_live",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status"], name="contact_ws_status"),
            models.Index(fields=["workspace", "created_at"], name="contact_ws_created"),
            *trash_indexes("contact"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Tag(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("tag")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=models.Q(trashed_at__isnull=True),
                name="tag_name_unique_live",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContactTag(BulkOwned):
    # No index of its own: contacttag_unique (contact, tag) serves lookups by contact.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="tag_links", db_index=False, **CHILD_FK
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="contact_links", **CHILD_FK)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "tag"], name="contacttag_unique"),
        ]
        indexes = trash_indexes("contacttag")


class ListVisibility(models.TextChoices):
    PUBLIC = "public", _("Public (anyone may subscribe through its form)")
    PRIVATE = "private", _("Private (only the workspace adds contacts)")


class ContactList(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    visibility = models.CharField(
        _("visibility"),
        max_length=8,
        choices=ListVisibility.choices,
        default=ListVisibility.PRIVATE,
    )
    double_opt_in = models.BooleanField(_("double opt-in"), default=True)
    # The text the workspace wrote and shows on its subscription form (P39). Each
    # subscription through the form stores the exact text shown in a ConsentRecord.
    consent_text = models.TextField(_("consent text"), blank=True)
    # Public identifier for the hosted form, so list ids are never exposed to the public.
    form_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("list")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    SUBSCRIBED = "subscribed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscription(BulkOwned):
    # No single-column indexes: subscription_unique (contact, list) serves lookups by contact
    # and subscription_list_status (list, status) lookups by list. Fewer indexes to
    # maintain is what a large import spends its time on.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="subscriptions", db_index=False, **CHILD_FK
    )
    contact_list = models.ForeignKey(
        ContactList,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        db_index=False,
        **CHILD_FK,
    )
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.SUBSCRIBED
    )
    subscribed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        constraints = [
            models.UniqueConstraint(fields=["contact", "contact_list"], name="subscription_unique"),
        ]
        indexes = [
            models.Index(fields=["contact_list", "status"], name="subscription_list_status"),
            *trash_indexes("subscription"),
        ]


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("Choice")


class CustomField(WorkspaceOwned):
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(
        _("type"), max_length=8, choices=FieldType.choices, default=FieldType.TEXT
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("custom field")
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"],
                condition=models.Q(trashed_at__isnull=True),
                name="customfield_key_unique_live",
            )
        ]

    def __str__(self) -> str:
        return self.label


class Segment(WorkspaceOwned):
    name = models.CharField(_("name"), max_length=150)
    # The rule language of mailsoftly.contacts.segments; compiled to Q objects only.
    rules = models.JSONField(_("rules"), default=dict)

    class Meta:
        verbose_name = _("segment")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ConsentSource(models.TextChoices):
    FORM = "form", _("Subscription form")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Added by a team member")
    API = "api", _("API")


class ConsentRecord(BulkOwned):
    """How, where and when a contact agreed to hear from the workspace (P20, P39)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents", **CHILD_FK
    )
    contact_list = models.ForeignKey(
        ContactList,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        **CHILD_FK,
    )
    source = models.CharField(max_length=8, choices=ConsentSource.choices)
    given_at = models.DateTimeField()
    consent_text = models.TextField(blank=True)
    # Where: the form's URL, the import file name, the team member.
    location = models.CharField(max_length=500, blank=True)
    # Only for a contact's own action (a form submission, an imported OPTIN_IP); never the
    # team member's IP for manual adds.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("consent record")
        ordering = ["-given_at", "-id"]
        indexes = trash_indexes("consent")


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    MANUAL = "manual", _("Added manually")
    ERASED = "erased", _("Erased on request")


class Suppression(WorkspaceOwned):
    """An address the workspace must never mail. Sending consults it at send time.

    ``email_hash`` is the SHA-256 of the contact's ``email_key``; after an erasure (P38) only
    the hash remains and ``email`` is blank.
    """

    email_hash = models.CharField(max_length=64)
    email = models.CharField(max_length=320, blank=True)
    reason = models.CharField(max_length=12, choices=SuppressionReason.choices)

    class Meta:
        verbose_name = _("suppression")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email_hash"],
                condition=models.Q(trashed_at__isnull=True),
                name="suppression_unique_live",
            )
        ]


class ContactEvent(WorkspaceOwned):
    """One entry of a contact's activity timeline."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    occurred_at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]


class ImportMode(models.TextChoices):
    ADD = "add", _("Add new contacts only")
    UPSERT = "upsert", _("Add new and update existing contacts")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe the listed addresses")
    BLOCKLIST = "blocklist", _("Blocklist the listed addresses")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ContactImport(WorkspaceOwned):
    """One import file and its progress. Batches commit one at a time with the counters, so
    ``rows_done`` always says exactly which rows went in; a re-run resumes after them."""

    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=4)  # csv / xlsx
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # column index (str) -> target
    mode = models.CharField(max_length=12, choices=ImportMode.choices, default=ImportMode.ADD)
    contact_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_text = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    file_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-id"]


class ImportRowError(WorkspaceOwned):
    contact_import = models.ForeignKey(
        ContactImport, on_delete=models.CASCADE, related_name="row_errors"
    )
    row_number = models.PositiveIntegerField()
    email = models.CharField(max_length=320, blank=True)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["row_number", "id"]
