"""Email designs and the templates users start them from.

A :class:`Design` keeps the user's *source* (the visual editor's JSON, HTML, Markdown,
MJML, plain text, or the simple block form's JSON) and, beside it, the *compiled* form: a
Jinja2 template of email-safe HTML and one of plain text, made once on save by :mod:`mailsoftly.designs.compiler`. Sending renders the
compiled form per recipient (:mod:`mailsoftly.designs.rendering`), never the source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mailsoftly.core.regions import RegionalUploadTo, regional_storage
from mailsoftly.core.tenancy import WorkspaceOwned


class SourceKind(models.TextChoices):
    # The five formats, then the older form-based block builder.
    VISUAL = "visual", _("Visual (GrapesJS)")
    HTML = "html", _("HTML")
    MARKDOWN = "markdown", _("Markdown")
    MJML = "mjml", _("MJML")
    TEXT = "text", _("Plain text")
    BLOCKS = "blocks", _("Simple blocks (form)")


class Design(WorkspaceOwned):
    """One email: envelope fields, a body source, its compiled form, and publishing state."""

    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    preheader = models.CharField(_("preheader"), max_length=255, blank=True)
    from_name = models.CharField(_("from name"), max_length=100, blank=True)
    from_email = models.EmailField(_("from address"), blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    source_kind = models.CharField(
        _("format"), max_length=16, choices=SourceKind.choices, default=SourceKind.BLOCKS
    )
    source = models.TextField(_("content"), blank=True)
    # Optional: a workspace layout template whose ``<!-- content -->`` marker this body fills.
    layout = models.ForeignKey(
        "designs.Template",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("layout"),
    )
    # Jinja2 templates (merge tags intact) made by the compiler on every save.
    compiled_html = models.TextField(blank=True, editable=False)
    compiled_text = models.TextField(blank=True, editable=False)
    # P37: opens and clicks store IP and user agent only when the creator turns this on.
    collect_ip_addresses = models.BooleanField(_("collect IP addresses"), default=False)
    # Off: links stay as written and no open pixel is added (the workspace switch also applies).
    track_opens_clicks = models.BooleanField(_("track opens and clicks"), default=True)
    # P01: private until published; the slug is random and replaced on each publish.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    public_slug = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and bool(self.public_slug)


class DesignVersion(WorkspaceOwned):
    """A snapshot of a design's content, written on every content change, for restore."""

    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="versions")
    subject = models.CharField(max_length=255, blank=True)
    preheader = models.CharField(max_length=255, blank=True)
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    source = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class Template(WorkspaceOwned):
    """A workspace's reusable starting point. Built-in starters live in code (starters.py)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    preheader = models.CharField(_("preheader"), max_length=255, blank=True)
    source_kind = models.CharField(
        _("format"), max_length=16, choices=SourceKind.choices, default=SourceKind.BLOCKS
    )
    source = models.TextField(_("content"), blank=True)
    # A layout is HTML with one ``<!-- content -->`` marker; designs can wrap their body in it.
    is_layout = models.BooleanField(_("layout"), default=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MediaFile(WorkspaceOwned):
    """An image uploaded for use in emails: validated, re-encoded without metadata.

    Served publicly (mail clients fetch images without signing in) at an unguessable key,
    with the content type we determined, never the one the uploader claimed.
    """

    key = models.CharField(max_length=32, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(
        max_length=300, storage=regional_storage, upload_to=RegionalUploadTo("media")
    )
    content_type = models.CharField(max_length=32, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    size = models.PositiveIntegerField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name
