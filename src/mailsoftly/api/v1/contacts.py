"""Contacts, lists, segments, custom fields and suppression over the contacts app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem, django_validation_errors
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.api.v1.segment_rules import SegmentRules
from mailsoftly.contacts import selectors, services

router = Router()
BULK_MAX = 10_000


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    status: str
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactCreate(In):
    email: str = Field(max_length=320)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    fields: dict[str, Any] = {}
    list_ids: list[int] = Field([], max_length=100)
    tags: list[str] = Field([], max_length=100)


class ContactPatch(In):
    email: str | None = Field(None, max_length=320)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    status: str | None = Field(None, max_length=20)
    fields: dict[str, Any] | None = None


class BulkItem(In):
    email: str = Field(max_length=320)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    fields: dict[str, Any] | None = None


class BulkIn(In):
    items: list[BulkItem] = Field(min_length=1, max_length=BULK_MAX)


class BulkOut(Schema):
    created: int
    updated: int
    suppressed: list[str] = []


def _invalid(exc: ValidationError, prefix: str = "") -> ApiProblem:
    errors = django_validation_errors(exc)
    for error in errors:
        error["field"] = f"{prefix}{error['field']}"
    return ApiProblem(422, _("The request has invalid values."), slug="validation", errors=errors)


CONTACT_SORTS = {
    "id": "pk",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "email": "email_key",
}


@router.get("/contacts", response=ContactPage, url_name="contact_list", tags=["contacts"])
def contact_list(
    request,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = "-id",
    status: str = "",
    list_id: int | None = None,
    search: str = "",
):
    """Contacts, newest first by default; ``next_cursor`` fetches the next page."""
    need(request, "contacts", "read")
    workspace = workspace_of(request)
    if list_id is not None:
        selectors.access_contact_list(workspace=workspace, id=list_id)
    qs = selectors.contact_list(
        workspace=workspace, search=search[:200], status=status[:20], list_id=list_id
    )
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=CONTACT_SORTS)
    return {"items": rows, "next_cursor": following}


@router.get(
    "/contacts/{int:contact_id}", response=ContactOut, url_name="contact", tags=["contacts"]
)
def contact_get(request, contact_id: int):
    need(request, "contacts", "read")
    return selectors.access_contact(workspace=workspace_of(request), id=contact_id)


@router.post("/contacts", response={201: ContactOut}, url_name="contact_create", tags=["contacts"])
def contact_create(request, body: ContactCreate):
    need(request, "contacts", "write")
    workspace = workspace_of(request)
    for list_id in body.list_ids:
        try:
            selectors.access_contact_list(workspace=workspace, id=list_id)
        except Exception:
            raise ApiProblem(
                422,
                _("The request has invalid values."),
                errors=[
                    {"field": "list_ids", "message": _("No such list: %(id)s.") % {"id": list_id}}
                ],
            ) from None
    try:
        contact = services.contact_create(
            workspace=workspace,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
            fields=body.fields,
            list_ids=body.list_ids,
            tags=body.tags,
            by_user=request.api_key.created_by,
            consent={"location": f"api-key:{request.api_key.prefix}"},
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    return Status(201, contact)


@router.patch(
    "/contacts/{int:contact_id}", response=ContactOut, url_name="contact", tags=["contacts"]
)
def contact_update(request, contact_id: int, body: ContactPatch):
    need(request, "contacts", "write")
    contact = selectors.access_contact(workspace=workspace_of(request), id=contact_id)
    try:
        return services.contact_update(contact=contact, **body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.delete(
    "/contacts/{int:contact_id}", response={204: None}, url_name="contact", tags=["contacts"]
)
def contact_delete(request, contact_id: int):
    """Move the contact to the trash (restorable for 30 days in the app)."""
    need(request, "contacts", "write")
    contact = selectors.access_contact(workspace=workspace_of(request), id=contact_id)
    services.contact_trash(contact=contact, by_user=request.api_key.created_by)
    return Status(204, None)


@router.post("/contacts/bulk", response=BulkOut, url_name="contact_bulk", tags=["contacts"])
def contact_bulk_upsert(request, body: BulkIn):
    """Create or update up to 10,000 contacts by address; all or nothing.

    An absent name keeps the stored one; ``fields`` are merged into the stored values.
    Addresses on the workspace's suppression list are not created: they come back in
    ``suppressed``.
    """
    need(request, "contacts", "write")
    try:
        result = services.contact_bulk_upsert(
            workspace=workspace_of(request),
            items=[item.model_dump(exclude_unset=True) for item in body.items],
            location=f"api-key:{request.api_key.prefix}",
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    return {
        "created": result.created,
        "updated": result.updated,
        "suppressed": [row.email for row in result.suppressed],
    }


# ---------------------------------------------------------------- lists


class ListOut(Schema):
    id: int
    name: str
    description: str
    visibility: str
    double_opt_in: bool
    created_at: datetime


class ListPage(Schema):
    items: list[ListOut]
    next_cursor: str | None


class ListCreate(In):
    name: str = Field(max_length=150)
    description: str = Field("", max_length=5000)
    visibility: str = Field("private", max_length=20)
    double_opt_in: bool = True
    consent_text: str = Field("", max_length=5000)


class ListPatch(In):
    name: str | None = Field(None, max_length=150)
    description: str | None = Field(None, max_length=5000)
    visibility: str | None = Field(None, max_length=20)
    double_opt_in: bool | None = None
    consent_text: str | None = Field(None, max_length=5000)


NAMED_SORTS = {"id": "pk", "created_at": "created_at", "name": "name"}


@router.get("/lists", response=ListPage, url_name="list_list", tags=["lists"])
def list_list(request, cursor: str | None = None, limit: int = 50, sort: str = "-id"):
    need(request, "lists", "read")
    qs = selectors.contact_list_list(workspace=workspace_of(request))
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=NAMED_SORTS)
    return {"items": rows, "next_cursor": following}


@router.get("/lists/{int:list_id}", response=ListOut, url_name="list", tags=["lists"])
def list_get(request, list_id: int):
    need(request, "lists", "read")
    return selectors.access_contact_list(workspace=workspace_of(request), id=list_id)


@router.post("/lists", response={201: ListOut}, url_name="list_create", tags=["lists"])
def list_create(request, body: ListCreate):
    need(request, "lists", "write")
    try:
        return Status(
            201, services.contact_list_create(workspace=workspace_of(request), **body.model_dump())
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.patch("/lists/{int:list_id}", response=ListOut, url_name="list", tags=["lists"])
def list_update(request, list_id: int, body: ListPatch):
    need(request, "lists", "write")
    contact_list = selectors.access_contact_list(workspace=workspace_of(request), id=list_id)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    try:
        return services.contact_list_update(contact_list=contact_list, **changes)
    except ValidationError as exc:
        raise _invalid(exc) from None


@router.delete("/lists/{int:list_id}", response={204: None}, url_name="list", tags=["lists"])
def list_delete(request, list_id: int):
    need(request, "lists", "write")
    contact_list = selectors.access_contact_list(workspace=workspace_of(request), id=list_id)
    services.contact_list_trash(contact_list=contact_list, by_user=request.api_key.created_by)
    return Status(204, None)


# ---------------------------------------------------------------- segments and fields


class SegmentOut(Schema):
    id: int
    name: str
    rules: Any
    created_at: datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class SegmentCreate(In):
    name: str = Field(max_length=150)
    rules: SegmentRules  # an empty group is refused (422 naming its path)


@router.get("/segments", response=SegmentPage, url_name="segment_list", tags=["segments"])
def segment_list(request, cursor: str | None = None, limit: int = 50, sort: str = "-id"):
    need(request, "segments", "read")
    qs = selectors.segment_list(workspace=workspace_of(request))
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=NAMED_SORTS)
    return {"items": rows, "next_cursor": following}


@router.get(
    "/segments/{int:segment_id}", response=SegmentOut, url_name="segment", tags=["segments"]
)
def segment_get(request, segment_id: int):
    need(request, "segments", "read")
    return selectors.access_segment(workspace=workspace_of(request), id=segment_id)


@router.post("/segments", response={201: SegmentOut}, url_name="segment_create", tags=["segments"])
def segment_create(request, body: SegmentCreate):
    need(request, "segments", "write")
    try:
        return Status(
            201,
            services.segment_create(
                workspace=workspace_of(request), name=body.name, rules=body.rules
            ),
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


class FieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: str
    choices: list[str]


class FieldCreate(In):
    key: str = Field(max_length=64)
    label: str = Field(max_length=100)
    field_type: str = Field(max_length=20)
    choices: list[str] = Field([], max_length=200)


@router.get("/fields", response=list[FieldOut], url_name="field_list", tags=["custom fields"])
def field_list(request):
    need(request, "fields", "read")
    return list(selectors.custom_field_list(workspace=workspace_of(request)).order_by("pk")[:500])


@router.post("/fields", response={201: FieldOut}, url_name="field_create", tags=["custom fields"])
def field_create(request, body: FieldCreate):
    need(request, "fields", "write")
    try:
        return Status(
            201, services.custom_field_create(workspace=workspace_of(request), **body.model_dump())
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


# ---------------------------------------------------------------- suppression


class SuppressionOut(Schema):
    id: int
    email: str
    reason: str
    created_at: datetime


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionCreate(In):
    email: str = Field(max_length=320)
    reason: str = Field("manual", max_length=20)


@router.get(
    "/suppression", response=SuppressionPage, url_name="suppression_list", tags=["suppression"]
)
def suppression_list(request, cursor: str | None = None, limit: int = 50):
    need(request, "suppression", "read")
    qs = selectors.suppression_list(workspace=workspace_of(request))
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort="-id", sortable={"id": "pk"})
    return {"items": rows, "next_cursor": following}


@router.post(
    "/suppression", response={201: SuppressionOut}, url_name="suppression_add", tags=["suppression"]
)
def suppression_add(request, body: SuppressionCreate):
    need(request, "suppression", "write")
    try:
        return Status(
            201, services.suppression_add(workspace=workspace_of(request), **body.model_dump())
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
