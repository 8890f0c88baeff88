"""Contact imports over the contacts app's import services: upload a CSV or XLSX, poll it.

``POST /imports`` takes the file as multipart form data (up to the API's 10 MB body limit;
larger files go through the app's import page) and, unless ``start=false``, starts it at
once with the given column mapping or the one the import page would suggest. The import
runs in the background: poll ``GET /imports/{id}`` until ``status`` is ``done`` or
``failed``; ``GET /imports/{id}/errors`` is the per-row error report as CSV.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from mailsoftly.api.problems import ApiProblem, django_validation_errors
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.billing.errors import BillingError
from mailsoftly.contacts import imports, selectors
from mailsoftly.contacts.exports import import_error_report_csv
from mailsoftly.contacts.importing.files import ImportFileError
from mailsoftly.contacts.importing.mapping import custom_key_index, mapping_guess
from mailsoftly.contacts.models import ContactImport, ImportStatus

router = Router(tags=["imports"])

ModeName = Literal["add", "upsert", "unsubscribe", "blocklist"]
SORTS = {"id": "pk", "created_at": "created_at"}
CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "The error report: row number, the address as given, the reason.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class ImportOut(Schema):
    id: int
    file_name: str
    status: str
    mode: str
    list_id: int | None
    mapping: dict[str, str]
    rows_done: int
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    columns: list[str] | None = Field(
        None, description="The file's header row, while the import waits to be started."
    )
    suggested_mapping: dict[str, str] | None = Field(
        None, description="Column index → field, as the import page would suggest it."
    )

    @staticmethod
    def resolve_list_id(obj: ContactImport) -> int | None:
        return obj.contact_list_id

    @staticmethod
    def resolve_error(obj: ContactImport) -> str:
        return obj.file_error

    @staticmethod
    def resolve_columns(obj: ContactImport) -> list[str] | None:
        return _header(obj) if obj.status == ImportStatus.UPLOADED else None

    @staticmethod
    def resolve_suggested_mapping(obj: ContactImport) -> dict[str, str] | None:
        if obj.status != ImportStatus.UPLOADED:
            return None
        return _suggested(obj, _header(obj))


class ImportPage(Schema):
    items: list[ImportOut]
    next_cursor: str | None


class ImportStart(In):
    mapping: dict[str, str] | None = Field(
        None,
        description="Column index (as a string) → field: email, first_name, last_name, "
        "tags, … or field:<custom key>. Omitted: the suggested mapping.",
        max_length=500,
    )
    mode: ModeName = "add"
    list_id: int | None = None
    consent_text: str = Field("", max_length=5000)


def _header(job: ContactImport) -> list[str]:
    if not hasattr(job, "_api_header"):
        try:
            header, _sample = imports.contact_import_preview(contact_import=job)
        except (ImportFileError, OSError):
            header = []
        job._api_header = [str(cell)[:200] for cell in header]
    return job._api_header


def _suggested(job: ContactImport, header: list[str]) -> dict[str, str]:
    custom = custom_key_index(selectors.custom_field_list(workspace=job.workspace))
    return {str(k): v for k, v in mapping_guess(header=header, custom_keys=custom).items() if v}


def _invalid(errors: list[dict], *, import_id: int | None = None) -> ApiProblem:
    detail = _("The request has invalid values.")
    if import_id is not None:
        detail = _(
            "The file was uploaded as import %(id)d but not started: fix the values and "
            "POST /imports/%(id)d/start."
        ) % {"id": import_id}
    return ApiProblem(422, detail, slug="validation", errors=errors)


def _contact_list(workspace, list_id: int | None):
    if list_id is None:
        return None
    try:
        return selectors.access_contact_list(workspace=workspace, id=list_id)
    except Http404:
        raise _invalid([{"field": "list_id", "message": _("No such list.")}]) from None


def _start(request, job: ContactImport, *, mapping, mode, contact_list, consent_text, uploaded):
    import_id = job.pk if uploaded else None
    if mapping is None:
        mapping = _suggested(job, _header(job))
    try:
        imports.contact_import_start(
            contact_import=job,
            mapping=mapping,
            mode=mode,
            contact_list=contact_list,
            consent_text=consent_text,
        )
    except ValidationError as exc:
        errors = django_validation_errors(exc)
        for error in errors:
            error["field"] = {"contact_list": "list_id"}.get(error["field"], error["field"])
        if job.status != ImportStatus.UPLOADED and not uploaded:
            raise ApiProblem(409, " ".join(exc.messages), slug="state-conflict") from None
        raise _invalid(errors, import_id=import_id) from None
    except BillingError as exc:
        detail = exc.message
        if import_id is not None:
            detail = f"{detail} " + _("The file was uploaded as import %(id)d.") % {"id": import_id}
        raise ApiProblem(403, detail, slug="plan-limit") from None
    job.refresh_from_db()
    return job


@router.post("/imports", response={201: ImportOut, 202: ImportOut}, url_name="import_create")
def import_create(
    request,
    file: File[UploadedFile],
    mode: Form[ModeName] = "add",
    list_id: Form[int | None] = None,
    mapping: Form[str] = "",
    consent_text: Form[str] = "",
    start: Form[bool] = True,
):
    """Upload a CSV or XLSX file (multipart ``file``) and start importing it.

    ``mapping`` is a JSON object as in ``POST /imports/{id}/start`` (default: the suggested
    mapping). 202 with ``status: queued`` when started; 201 with ``status: uploaded``, the
    file's ``columns`` and a ``suggested_mapping`` when ``start`` is false.
    """
    need(request, "imports", "write")
    workspace = workspace_of(request)
    if len(consent_text) > 5000:
        raise _invalid([{"field": "consent_text", "message": _("At most 5,000 characters.")}])
    contact_list = _contact_list(workspace, list_id)
    chosen = None
    if mapping.strip():
        try:
            chosen = json.loads(mapping)
        except ValueError:
            chosen = None
        if not isinstance(chosen, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in chosen.items()
        ):
            raise _invalid([{"field": "mapping", "message": _("Give a JSON object of strings.")}])
    try:
        job = imports.contact_import_upload(
            workspace=workspace, uploaded_file=file, by_user=request.api_key.created_by
        )
    except ValidationError as exc:
        raise _invalid(django_validation_errors(exc)) from None
    if not start:
        return Status(201, job)
    job = _start(
        request,
        job,
        mapping=chosen,
        mode=mode,
        contact_list=contact_list,
        consent_text=consent_text,
        uploaded=True,
    )
    return Status(202, job)


@router.post("/imports/{int:import_id}/start", response={202: ImportOut}, url_name="import_start")
def import_start(request, import_id: int, body: ImportStart):
    """Start an uploaded import with a column mapping (default: the suggested one)."""
    need(request, "imports", "write")
    workspace = workspace_of(request)
    job = selectors.access_contact_import(workspace=workspace, id=import_id)
    if job.status != ImportStatus.UPLOADED:
        raise ApiProblem(409, _("This import has already been started."), slug="state-conflict")
    contact_list = _contact_list(workspace, body.list_id)
    job = _start(
        request,
        job,
        mapping=body.mapping,
        mode=body.mode,
        contact_list=contact_list,
        consent_text=body.consent_text,
        uploaded=False,
    )
    return Status(202, job)


@router.get("/imports", response=ImportPage, url_name="import_list")
def import_list(request, cursor: str | None = None, limit: int = 50, sort: str = "-id"):
    need(request, "imports", "read")
    qs = selectors.contact_import_list(workspace=workspace_of(request))
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=SORTS)
    return {"items": rows, "next_cursor": following}


@router.get("/imports/{int:import_id}", response=ImportOut, url_name="import")
def import_get(request, import_id: int):
    """The import's status and counts; poll until ``status`` is ``done`` or ``failed``."""
    need(request, "imports", "read")
    return selectors.access_contact_import(workspace=workspace_of(request), id=import_id)


@router.get(
    "/imports/{int:import_id}/errors",
    url_name="import_errors",
    openapi_extra=CSV_RESPONSE,
)
def import_errors(request, import_id: int) -> Any:
    """The rows that were not imported and why, as CSV (``row,email,reason``)."""
    need(request, "imports", "read")
    job = selectors.access_contact_import(workspace=workspace_of(request), id=import_id)
    response = StreamingHttpResponse(
        import_error_report_csv(contact_import=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
