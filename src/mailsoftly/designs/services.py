"""Writes to designs and templates: every change a user can make is one function here.

Each content change recompiles the design (so a design in the database always has a
valid compiled form) and keeps a version for restore. Publishing (policy P01) gives the
design a fresh random slug; unpublishing drops it, so the old address answers 404.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.billing.services import limit_check
from mailsoftly.core import clock
from mailsoftly.designs.compiler import CompileError, layout_check, source_compile, subject_check
from mailsoftly.designs.models import Design, DesignVersion, SourceKind, Template
from mailsoftly.designs.rendering import design_render, sample_context
from mailsoftly.designs.starters import Starter
from mailsoftly.designs.testsend import TestSendError, TestSendReport
from mailsoftly.designs.testsend import design_test_send as _test_send_deliver

CONTENT_FIELDS = ("subject", "preheader", "source_kind", "source")
ENVELOPE_FIELDS = (
    "name",
    "from_name",
    "from_email",
    "reply_to",
    "track_opens_clicks",
    "collect_ip_addresses",
    "layout",
)
MAX_VERSIONS = 50


def _layout_source(layout: Template | None) -> str:
    if layout is None or layout.trashed_at is not None or not layout.is_layout:
        return ""
    return layout.source


def design_validate(
    *, subject: str, preheader: str, source_kind: str, source: str, layout: Template | None = None
):
    """Compile the content or raise :class:`CompileError` naming the field to blame."""
    subject_check(subject)
    if source_kind not in SourceKind.values:
        raise CompileError(_("Choose a format."), field="source_kind")
    return source_compile(
        source_kind=source_kind,
        source=source,
        preheader=preheader,
        layout=_layout_source(layout),
    )


def _version_write(*, design: Design, user) -> None:
    DesignVersion.objects.for_workspace(design.workspace).create(
        workspace=design.workspace,
        design=design,
        subject=design.subject,
        preheader=design.preheader,
        source_kind=design.source_kind,
        source=design.source,
        created_by=user,
    )
    old = list(
        DesignVersion.objects.for_workspace(design.workspace)
        .filter(design=design)
        .values_list("pk", flat=True)[MAX_VERSIONS:]
    )
    if old:
        DesignVersion.all_rows.using(design.workspace.database).filter(pk__in=old).delete()


def design_create(
    *,
    workspace,
    user,
    name: str,
    source_kind: str = SourceKind.BLOCKS,
    source: str = "",
    subject: str = "",
    preheader: str = "",
    from_name: str = "",
    from_email: str = "",
    reply_to: str = "",
    collect_ip_addresses: bool = False,
    track_opens_clicks: bool = True,
    layout: Template | None = None,
) -> Design:
    """Create a design. Raises :class:`CompileError` if the content cannot become an email,
    and ``LimitExceeded`` (nothing written) for IP collection on a plan without it."""
    if collect_ip_addresses:
        limit_check(workspace=workspace, resource="ip_collection")
    compiled = design_validate(
        subject=subject, preheader=preheader, source_kind=source_kind, source=source, layout=layout
    )
    with transaction.atomic(using=workspace.database):
        design = Design.objects.for_workspace(workspace).create(
            workspace=workspace,
            name=name.strip() or _("Untitled design"),
            subject=subject,
            preheader=preheader,
            from_name=from_name,
            from_email=from_email,
            reply_to=reply_to,
            source_kind=source_kind,
            source=source,
            compiled_html=compiled.html,
            compiled_text=compiled.text,
            collect_ip_addresses=collect_ip_addresses,
            track_opens_clicks=track_opens_clicks,
            layout=layout,
            created_by=user,
        )
        _version_write(design=design, user=user)
    return design


def design_create_from_starter(*, workspace, user, starter: Starter | Template) -> Design:
    """A new design from a built-in starter or a workspace template."""
    return design_create(
        workspace=workspace,
        user=user,
        name=starter.name,
        subject=starter.subject,
        preheader=starter.preheader,
        source_kind=starter.source_kind,
        source=starter.source,
    )


def design_update(*, design: Design, user, **fields: Any) -> Design:
    """Change a design's fields. Content changes recompile and write a version.

    Turning IP collection on needs a plan with it (``LimitExceeded``, nothing written); a
    design that already collects keeps its setting after a downgrade.
    """
    unknown = set(fields) - set(CONTENT_FIELDS) - set(ENVELOPE_FIELDS)
    if unknown:
        raise TypeError(f"design_update got unexpected fields: {sorted(unknown)}")
    if fields.get("collect_ip_addresses") and not design.collect_ip_addresses:
        limit_check(workspace=design.workspace, resource="ip_collection")
    content = {field: fields.get(field, getattr(design, field)) for field in CONTENT_FIELDS}
    content_changed = any(content[f] != getattr(design, f) for f in CONTENT_FIELDS)
    layout = fields.get("layout", design.layout)
    layout_changed = getattr(layout, "pk", None) != design.layout_id
    compiled = (
        design_validate(**content, layout=layout)
        if content_changed or layout_changed or not design.compiled_html
        else None
    )
    with transaction.atomic(using=design.workspace.database):
        for field, value in fields.items():
            setattr(design, field, value)
        if not (design.name or "").strip():
            design.name = _("Untitled design")
        if compiled is not None:
            design.compiled_html = compiled.html
            design.compiled_text = compiled.text
        design.save()
        if content_changed:
            _version_write(design=design, user=user)
    return design


def design_rename(*, design: Design, user, name: str) -> Design:
    return design_update(design=design, user=user, name=name[:200])


def design_duplicate(*, design: Design, user) -> Design:
    """A private copy (never published) named "Copy of …"."""
    return design_create(
        workspace=design.workspace,
        user=user,
        name=(_("Copy of %(name)s") % {"name": design.name})[:200],
        subject=design.subject,
        preheader=design.preheader,
        from_name=design.from_name,
        from_email=design.from_email,
        reply_to=design.reply_to,
        source_kind=design.source_kind,
        source=design.source,
        collect_ip_addresses=design.collect_ip_addresses,
        track_opens_clicks=design.track_opens_clicks,
        layout=design.layout,
    )


def design_trash(*, design: Design, user) -> None:
    """Move to the trash: gone from every list at once, and unpublished (P01, P26, P27).

    The lifecycle app's trash takes the versions along and restores them together.
    """
    from mailsoftly.lifecycle.services.trash import trash_move

    with transaction.atomic(using=design.workspace.database):
        Design.objects.for_workspace(design.workspace).filter(pk=design.pk).update(
            published_at=None, public_slug=None
        )
        trash_move(obj_or_queryset=design, actor=user)


def design_version_restore(*, design: Design, version: DesignVersion, user) -> Design:
    """Bring back an earlier version's content (as a new version, so nothing is lost)."""
    return design_update(
        design=design,
        user=user,
        subject=version.subject,
        preheader=version.preheader,
        source_kind=version.source_kind,
        source=version.source,
    )


def design_publish(*, design: Design, user) -> Design:
    """Publish the web version at a new unguessable address (policy P01)."""
    with transaction.atomic(using=design.workspace.database):
        design.public_slug = secrets.token_urlsafe(16)
        design.published_at = clock.now()
        design.save(update_fields=["public_slug", "published_at", "updated_at"])
    audit_record(actor=user, workspace=design.workspace, action="design.publish", target=design)
    return design


def design_unpublish(*, design: Design, user) -> Design:
    """Take the web version down at once: its address answers 404 from now on."""
    with transaction.atomic(using=design.workspace.database):
        design.public_slug = None
        design.published_at = None
        design.save(update_fields=["public_slug", "published_at", "updated_at"])
    audit_record(actor=user, workspace=design.workspace, action="design.unpublish", target=design)
    return design


class TestSendRefused(TestSendError):
    """Screening refused the test send (held for review or blocked); nothing was sent."""

    def __init__(self, message: str, *, decision: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.decision = decision
        self.reasons = reasons


def design_test_send(
    *, design: Design, recipients: list[str], contact_context: dict | None = None
) -> TestSendReport:
    """Send a test of ``design`` to ``recipients`` (1-5), after the screening gate (P16).

    A test send reaches real inboxes, so it is screened like a campaign: the rendered
    content goes through ``screening.test_send_gate`` first, and a held or blocked email
    raises :class:`TestSendRefused` (with the reasons) before any connection is opened.
    Runs outside any transaction (SMTP I/O).
    """
    from mailsoftly.screening.services import test_send_gate

    if not design.from_email:
        raise TestSendError(_("Set a from address on the design first."))
    context = contact_context or sample_context()
    email = design_render(design=design, contact_context=context)
    gate = test_send_gate(
        workspace=design.workspace,
        subject=email.subject,
        from_address=design.from_email,
        html=email.html,
        text=email.text,
    )
    if not gate.allowed:
        reasons = [str(r.get("message", "")) for r in gate.reasons if r.get("message")]
        message = gate.message or _("Screening refused this email.")
        if reasons:
            message = _("%(message)s Reasons: %(reasons)s") % {
                "message": message,
                "reasons": "; ".join(reasons[:5]),
            }
        raise TestSendRefused(message, decision=gate.decision, reasons=reasons)
    return _test_send_deliver(design=design, recipients=recipients, contact_context=context)


def template_create_from_design(
    *, design: Design, user, name: str, description: str = "", is_layout: bool = False
) -> Template:
    """Save a design's content as a reusable template, or as a layout (HTML with the
    ``<!-- content -->`` marker) that other designs can wrap their body in."""
    if is_layout:
        if design.source_kind != SourceKind.HTML:
            raise CompileError(_("Only an HTML design can become a layout."), field="is_layout")
        layout_check(design.source)
    workspace = design.workspace
    return Template.objects.for_workspace(workspace).create(
        is_layout=is_layout,
        workspace=workspace,
        name=(name.strip() or design.name)[:200],
        description=description[:300],
        subject=design.subject,
        preheader=design.preheader,
        source_kind=design.source_kind,
        source=design.source,
    )


def template_trash(*, template: Template, user) -> None:
    from mailsoftly.lifecycle.services.trash import trash_move

    trash_move(obj_or_queryset=template, actor=user)
