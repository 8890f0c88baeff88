"""Designs over the designs app: read, create, update, trash, versions, restore, test send.

Content is compiled before anything is saved, exactly as in the editor, so a template
error comes back as a 422 naming the field (and the line and column), never at send time.
A test send is screened first (P16): held or blocked content is a 422 with the reasons.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.designs import selectors, services
from mailsoftly.designs.compiler import CompileError
from mailsoftly.designs.models import Design
from mailsoftly.designs.rendering import RenderError, design_render, sample_context
from mailsoftly.designs.testsend import MAX_RECIPIENTS, TestSendError, test_recipients_parse

router = Router(tags=["designs"])

SORTS = {"id": "pk", "created_at": "created_at", "updated_at": "updated_at", "name": "name"}
VERSION_SORTS = {"id": "pk", "created_at": "created_at"}
MAX_SOURCE = 2_000_000
# "visual": ``source`` is the visual editor's JSON, {"html": …, "css": …, "project": …}.
SourceKindName = Literal["visual", "html", "markdown", "mjml", "text", "blocks"]
# The service's field names, as the API calls them.
API_FIELD = {"layout": "layout_id", "is_layout": "layout_id"}


class DesignOut(Schema):
    id: int
    name: str
    subject: str
    preheader: str
    from_name: str
    from_email: str
    reply_to: str
    source_kind: str
    layout_id: int | None
    collect_ip_addresses: bool
    track_opens_clicks: bool
    published: bool
    public_url: str | None = Field(
        None, description="The web version, without personal data, while published."
    )
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_published(obj: Design) -> bool:
        return obj.is_published

    @staticmethod
    def resolve_public_url(obj: Design) -> str | None:
        if not obj.is_published:
            return None
        path = reverse("designs:public", kwargs={"slug": obj.public_slug})
        return f"{settings.BASE_URL.rstrip('/')}{path}"


class DesignDetail(DesignOut):
    source: str


class DesignPage(Schema):
    items: list[DesignOut]
    next_cursor: str | None


class DesignCreate(In):
    name: str = Field("", max_length=200)
    subject: str = Field("", max_length=255)
    preheader: str = Field("", max_length=255)
    from_name: str = Field("", max_length=100)
    from_email: str = Field("", max_length=254)
    reply_to: str = Field("", max_length=254)
    source_kind: SourceKindName
    source: str = Field("", max_length=MAX_SOURCE)
    layout_id: int | None = None
    collect_ip_addresses: bool = False
    track_opens_clicks: bool = True


class DesignPatch(In):
    name: str | None = Field(None, max_length=200)
    subject: str | None = Field(None, max_length=255)
    preheader: str | None = Field(None, max_length=255)
    from_name: str | None = Field(None, max_length=100)
    from_email: str | None = Field(None, max_length=254)
    reply_to: str | None = Field(None, max_length=254)
    source_kind: SourceKindName | None = None
    source: str | None = Field(None, max_length=MAX_SOURCE)
    layout_id: int | None = None
    collect_ip_addresses: bool | None = None
    track_opens_clicks: bool | None = None


class VersionOut(Schema):
    id: int
    subject: str
    preheader: str
    source_kind: str
    source: str
    created_at: datetime


class VersionPage(Schema):
    items: list[VersionOut]
    next_cursor: str | None


class RenderedOut(Schema):
    subject: str
    html: str = Field(description="Untrusted HTML: show it only in a sandboxed frame.")
    text: str


class TestSendIn(In):
    recipients: list[str] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    contact_id: int | None = Field(
        None, description="Fill merge tags with this contact's data instead of sample data."
    )


class TestSendFailure(Schema):
    address: str
    detail: str


class TestSendOut(Schema):
    sent: list[str]
    failed: list[TestSendFailure]


def _invalid(errors: list[dict]) -> ApiProblem:
    return ApiProblem(422, _("The request has invalid values."), slug="validation", errors=errors)


def _compile_problem(exc: CompileError) -> ApiProblem:
    return _invalid([{"field": API_FIELD.get(exc.field, exc.field), "message": exc.message}])


def _envelope_errors(values: dict[str, Any]) -> list[dict]:
    """Addresses must be addresses and names one line (they become mail headers)."""
    errors = []
    for name in ("from_email", "reply_to"):
        value = values.get(name)
        if not value:
            continue
        try:
            values[name] = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append({"field": name, "message": _("Enter a valid email address.")})
    for name in ("name", "from_name"):
        value = values.get(name)
        if value and re.search(r"[\x00-\x1f\x7f]", value):
            errors.append(
                {"field": name, "message": _("Use a single line without control characters.")}
            )
    return errors


def _layout(workspace, layout_id: int | None):
    if layout_id is None:
        return None
    try:
        layout = selectors.access_template(workspace=workspace, id=layout_id)
    except Http404:
        layout = None
    if layout is None or not layout.is_layout:
        raise _invalid([{"field": "layout_id", "message": _("No such layout.")}])
    return layout


@router.get("/designs", response=DesignPage, url_name="design_list")
def design_list(
    request, cursor: str | None = None, limit: int = 50, sort: str = "-id", search: str = ""
):
    """Designs (without their content), newest first; ``search`` matches name or subject."""
    need(request, "designs", "read")
    qs = selectors.design_list(workspace=workspace_of(request), query=search[:200])
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=SORTS)
    return {"items": rows, "next_cursor": following}


@router.get("/designs/{int:design_id}", response=DesignDetail, url_name="design")
def design_get(request, design_id: int):
    need(request, "designs", "read")
    return selectors.access_design(workspace=workspace_of(request), id=design_id)


@router.post("/designs", response={201: DesignDetail}, url_name="design_create")
def design_create(request, body: DesignCreate):
    """Create a design. The content is compiled first; errors name the line and column."""
    need(request, "designs", "write")
    workspace = workspace_of(request)
    values = body.model_dump()
    errors = _envelope_errors(values)
    if errors:
        raise _invalid(errors)
    layout = _layout(workspace, values.pop("layout_id"))
    try:
        design = services.design_create(
            workspace=workspace, user=request.api_key.created_by, layout=layout, **values
        )
    except CompileError as exc:
        raise _compile_problem(exc) from None
    return Status(201, design)


@router.patch("/designs/{int:design_id}", response=DesignDetail, url_name="design")
def design_update(request, design_id: int, body: DesignPatch):
    """Change some fields. A content change compiles first and keeps a version."""
    need(request, "designs", "write")
    workspace = workspace_of(request)
    design = selectors.access_design(workspace=workspace, id=design_id)
    changes = body.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None and k != "layout_id"]
    errors = [{"field": k, "message": _("May not be null.")} for k in nulls]
    errors += _envelope_errors(changes)
    if errors:
        raise _invalid(errors)
    if "layout_id" in changes:
        changes["layout"] = _layout(workspace, changes.pop("layout_id"))
    try:
        return services.design_update(design=design, user=request.api_key.created_by, **changes)
    except CompileError as exc:
        raise _compile_problem(exc) from None


@router.delete("/designs/{int:design_id}", response={204: None}, url_name="design")
def design_delete(request, design_id: int):
    """Move the design to the trash (and unpublish it); restorable in the app for 30 days."""
    need(request, "designs", "write")
    design = selectors.access_design(workspace=workspace_of(request), id=design_id)
    services.design_trash(design=design, user=request.api_key.created_by)
    return Status(204, None)


@router.get("/designs/{int:design_id}/versions", response=VersionPage, url_name="design_versions")
def design_version_list(
    request, design_id: int, cursor: str | None = None, limit: int = 50, sort: str = "-id"
):
    """Earlier contents of the design (the last 50 changes), newest first."""
    need(request, "designs", "read")
    design = selectors.access_design(workspace=workspace_of(request), id=design_id)
    qs = selectors.design_version_list(design=design)
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=VERSION_SORTS)
    return {"items": rows, "next_cursor": following}


@router.post(
    "/designs/{int:design_id}/versions/{int:version_id}/restore",
    response=DesignDetail,
    url_name="design_version_restore",
)
def design_version_restore(request, design_id: int, version_id: int):
    """Bring back a version's content; this is saved as a new version, so nothing is lost."""
    need(request, "designs", "write")
    design = selectors.access_design(workspace=workspace_of(request), id=design_id)
    version = selectors.access_design_version(design=design, id=version_id)
    try:
        return services.design_version_restore(
            design=design, version=version, user=request.api_key.created_by
        )
    except CompileError as exc:
        raise _compile_problem(exc) from None


def _contact_context(workspace, contact_id: int | None) -> dict:
    context = sample_context()
    if contact_id is None:
        return context
    from mailsoftly.contacts.selectors import access_contact

    try:
        contact = access_contact(workspace=workspace, id=contact_id)
    except Http404:
        raise _invalid([{"field": "contact_id", "message": _("No such contact.")}]) from None
    data = {**(contact.fields or {})}
    data.update(email=contact.email, first_name=contact.first_name, last_name=contact.last_name)
    data["name"] = f"{contact.first_name} {contact.last_name}".strip()
    return {**context, "contact": data}


@router.post(
    "/designs/{int:design_id}/test-send", response=TestSendOut, url_name="design_test_send"
)
def design_test_send(request, design_id: int, body: TestSendIn):
    """Send the saved design now to up to five addresses, subject marked [TEST].

    The email is screened first, like a campaign: content that is held for review or
    blocked is a 422 (``screening-refused``) listing the reasons, and nothing is sent.
    """
    need(request, "designs", "write")
    workspace = workspace_of(request)
    design = selectors.access_design(workspace=workspace, id=design_id)
    errors = [
        {"field": f"recipients[{i}]", "message": _("One address per item.")}
        for i, item in enumerate(body.recipients)
        if re.search(r"[\s,;]", item.strip()) or not item.strip()
    ]
    if errors:
        raise _invalid(errors)
    try:
        recipients = test_recipients_parse(" ".join(r.strip() for r in body.recipients))
    except TestSendError as exc:
        raise _invalid([{"field": "recipients", "message": str(exc)}]) from None
    context = _contact_context(workspace, body.contact_id)
    try:
        report = services.design_test_send(
            design=design, recipients=recipients, contact_context=context
        )
    except services.TestSendRefused as exc:
        raise ApiProblem(
            422,
            str(exc),
            slug="screening-refused",
            errors=[{"field": "", "message": reason} for reason in exc.reasons],
        ) from None
    except (TestSendError, RenderError, CompileError) as exc:
        raise _invalid([{"field": "", "message": str(exc)}]) from None
    return {
        "sent": report.sent,
        "failed": [{"address": a, "detail": d} for a, d in report.failed],
    }


@router.post("/designs/{int:design_id}/publish", response=DesignDetail, url_name="design_publish")
def design_publish(request, design_id: int):
    """Publish the web version at a new unguessable ``public_url`` (no personal data)."""
    need(request, "designs", "write")
    design = selectors.access_design(workspace=workspace_of(request), id=design_id)
    return services.design_publish(design=design, user=request.api_key.created_by)


@router.post(
    "/designs/{int:design_id}/unpublish", response=DesignDetail, url_name="design_unpublish"
)
def design_unpublish(request, design_id: int):
    """Take the web version down; its address answers 404 at once."""
    need(request, "designs", "write")
    design = selectors.access_design(workspace=workspace_of(request), id=design_id)
    return services.design_unpublish(design=design, user=request.api_key.created_by)


@router.get("/designs/{int:design_id}/render", response=RenderedOut, url_name="design_render")
def design_render_get(request, design_id: int, contact_id: int | None = None):
    """The email as a recipient would get it: with a contact's data, or sample data."""
    need(request, "designs", "read")
    workspace = workspace_of(request)
    design = selectors.access_design(workspace=workspace, id=design_id)
    context = _contact_context(workspace, contact_id)
    try:
        email = design_render(design=design, contact_context=context)
    except (RenderError, CompileError) as exc:
        raise _invalid([{"field": "", "message": str(exc)}]) from None
    return {"subject": email.subject, "html": email.html, "text": email.text}
