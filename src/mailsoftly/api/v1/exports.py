"""Workspace exports over the lifecycle app's export services (P25).

``POST /exports`` queues an export of the workspace (everything not in the trash) in one of
the formats the plan allows. Poll ``GET /exports/{id}``; once ``status`` is ``done`` it
carries a ``download_url`` signed by the lifecycle app, good for 7 days. Fetching that URL
still needs a key with ``exports:read`` of the same workspace: the signature limits the
link's life, the key says who downloads (every download is audited).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.core import clock
from mailsoftly.core.tenancy import access_object
from mailsoftly.lifecycle.models import ExportJob, ExportStatus
from mailsoftly.lifecycle.services import exports as export_services

router = Router(tags=["exports"])

SORTS = {"id": "pk", "created_at": "created_at"}
FILE_TYPES = {
    "csv": "application/zip",
    "zip": "application/zip",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "The export file.",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in dict.fromkeys(FILE_TYPES.values())
            },
        }
    }
}


class ExportOut(Schema):
    id: int
    format: str
    status: str
    progress: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(
        None, description="Signed, valid for 7 days; send your API key with it."
    )
    download_expires_at: datetime | None

    @staticmethod
    def resolve_download_url(obj: ExportJob) -> str | None:
        if obj.status != ExportStatus.DONE or not obj.file:
            return None
        path = reverse("api:export_download", kwargs={"export_id": obj.pk})
        query = urlencode({"token": export_services.export_link_token(job=obj)})
        return f"{settings.BASE_URL.rstrip('/')}{path}?{query}"

    @staticmethod
    def resolve_download_expires_at(obj: ExportJob) -> datetime | None:
        if obj.status != ExportStatus.DONE or not obj.file:
            return None
        # The token is signed now, so it expires this long from now.
        return clock.now() + timedelta(seconds=export_services.LINK_MAX_AGE)


class ExportPage(Schema):
    items: list[ExportOut]
    next_cursor: str | None


class ExportCreate(In):
    format: Literal["csv", "json", "xlsx", "zip"] = Field(
        description="csv: a ZIP of CSV files; json; xlsx; zip: a restorable backup."
    )


def _access(request, export_id: int) -> ExportJob:
    return access_object(ExportJob, workspace=workspace_of(request), id=export_id)


@router.post("/exports", response={202: ExportOut}, url_name="export_create")
def export_create(request, body: ExportCreate):
    """Queue an export of the whole workspace; poll it for the download link."""
    need(request, "exports", "write")
    try:
        job = export_services.export_request(
            workspace=workspace_of(request), actor=request.api_key.created_by, format=body.format
        )
    except export_services.ExportError as exc:
        # The format is checked above, so what is left is the plan's list of formats.
        raise ApiProblem(403, str(exc), slug="plan-limit") from None
    return Status(202, job)


@router.get("/exports", response=ExportPage, url_name="export_list")
def export_list(request, cursor: str | None = None, limit: int = 50, sort: str = "-id"):
    need(request, "exports", "read")
    qs = ExportJob.objects.for_workspace(workspace_of(request))
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=SORTS)
    return {"items": rows, "next_cursor": following}


@router.get("/exports/{int:export_id}", response=ExportOut, url_name="export")
def export_get(request, export_id: int):
    """The export's progress; ``download_url`` once it is done."""
    need(request, "exports", "read")
    return _access(request, export_id)


@router.get(
    "/exports/{int:export_id}/download",
    url_name="export_download",
    openapi_extra=FILE_RESPONSE,
)
def export_download(request, export_id: int, token: str = "") -> Any:
    """The export file, for a ``download_url`` that has not expired."""
    need(request, "exports", "read")
    job = _access(request, export_id)
    if not job.file or not export_services.export_link_check(job=job, token=token):
        raise Http404(_("This download link is invalid or has expired."))
    export_services.export_download_record(job=job, actor=request.api_key.created_by)
    filename = job.file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=FILE_TYPES.get(job.format, "application/octet-stream"),
    )
    response["Cache-Control"] = "no-store"
    return response
