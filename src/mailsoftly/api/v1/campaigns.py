"""Campaigns and their reports over the campaigns and tracking apps."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from mailsoftly.api.problems import ApiProblem, django_validation_errors
from mailsoftly.api.v1.common import In, need, paginate, workspace_of
from mailsoftly.campaigns import selectors as campaign_selectors
from mailsoftly.campaigns import services as campaign_services
from mailsoftly.contacts import selectors as contact_selectors
from mailsoftly.designs import selectors as design_selectors
from mailsoftly.tracking.selectors import campaign_report

router = Router()
SORTS = {"id": "pk", "created_at": "created_at", "name": "name"}


def _invalid(exc: ValidationError) -> ApiProblem:
    return ApiProblem(
        422,
        _("The request has invalid values."),
        slug="validation",
        errors=django_validation_errors(exc),
    )


def _conflict(exc: ValidationError) -> ApiProblem:
    return ApiProblem(
        409, " ".join(exc.messages), slug="state-conflict", errors=django_validation_errors(exc)
    )


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    status_reason: str
    design_id: int | None
    list_ids: list[int]
    exclude_list_ids: list[int]
    segment_id: int | None
    exclude_segment_ids: list[int]
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    total_count: int
    sent_count: int
    failed_count: int
    bounced_count: int
    skipped_count: int
    created_at: datetime


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class CampaignCreate(In):
    name: str = Field(max_length=200)
    design_id: int | None = None
    list_ids: list[int] = Field([], max_length=100)
    exclude_list_ids: list[int] = Field([], max_length=100)
    segment_id: int | None = None
    exclude_segment_ids: list[int] = Field([], max_length=100)


class ScheduleIn(In):
    at: datetime


class ReportOut(Schema):
    recipients: int
    delivered: int
    hard_bounces: int
    soft_bounces: int
    unique_opens: int
    opens: int
    unique_clicks: int
    clicks: int
    machine_opens: int
    machine_clicks: int
    unsubscribes: int
    complaints: int
    interested: int
    very_interested: int
    open_rate: float | None
    click_rate: float | None
    click_to_open_rate: float | None


@router.get("/campaigns", response=CampaignPage, url_name="campaign_list", tags=["campaigns"])
def campaign_list(
    request, cursor: str | None = None, limit: int = 50, sort: str = "-id", status: str = ""
):
    need(request, "campaigns", "read")
    qs = campaign_selectors.campaign_list(workspace=workspace_of(request))
    if status:
        qs = qs.filter(status=status[:10])
    rows, following = paginate(qs, cursor=cursor, limit=limit, sort=sort, sortable=SORTS)
    return {"items": rows, "next_cursor": following}


@router.get(
    "/campaigns/{int:campaign_id}", response=CampaignOut, url_name="campaign", tags=["campaigns"]
)
def campaign_get(request, campaign_id: int):
    need(request, "campaigns", "read")
    return campaign_selectors.access_campaign(workspace=workspace_of(request), id=campaign_id)


@router.post(
    "/campaigns", response={201: CampaignOut}, url_name="campaign_create", tags=["campaigns"]
)
def campaign_create(request, body: CampaignCreate):
    need(request, "campaigns", "write")
    workspace = workspace_of(request)
    fields: dict = {"list_ids": body.list_ids, "exclude_list_ids": body.exclude_list_ids}
    errors = []
    if body.design_id is not None:
        try:
            fields["design"] = design_selectors.access_design(
                workspace=workspace, id=body.design_id
            )
        except Http404:
            errors.append({"field": "design_id", "message": _("No such design.")})
    for name in ("list_ids", "exclude_list_ids"):
        for list_id in getattr(body, name):
            try:
                contact_selectors.access_contact_list(workspace=workspace, id=list_id)
            except Http404:
                errors.append(
                    {"field": name, "message": _("No such list: %(id)s.") % {"id": list_id}}
                )
    if body.segment_id is not None:
        try:
            contact_selectors.access_segment(workspace=workspace, id=body.segment_id)
            fields["segment_id"] = body.segment_id
        except Http404:
            errors.append({"field": "segment_id", "message": _("No such segment.")})
    for segment_id in body.exclude_segment_ids:
        try:
            contact_selectors.access_segment(workspace=workspace, id=segment_id)
        except Http404:
            errors.append(
                {
                    "field": "exclude_segment_ids",
                    "message": _("No such segment: %(id)s.") % {"id": segment_id},
                }
            )
    fields["exclude_segment_ids"] = body.exclude_segment_ids
    if errors:
        raise ApiProblem(
            422, _("The request has invalid values."), slug="validation", errors=errors
        )
    try:
        campaign = campaign_services.campaign_create(
            workspace=workspace, name=body.name, created_by=request.api_key.created_by, **fields
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    return Status(201, campaign)


@router.post(
    "/campaigns/{int:campaign_id}/schedule",
    response=CampaignOut,
    url_name="campaign_schedule",
    tags=["campaigns"],
)
def campaign_schedule(request, campaign_id: int, body: ScheduleIn):
    need(request, "campaigns", "write")
    campaign = campaign_selectors.access_campaign(workspace=workspace_of(request), id=campaign_id)
    if body.at.tzinfo is None:
        raise ApiProblem(
            422,
            _("The request has invalid values."),
            errors=[{"field": "at", "message": _("Give a time zone (e.g. 2030-01-01T09:00:00Z).")}],
        )
    try:
        return campaign_services.campaign_schedule(campaign=campaign, at=body.at)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _transition(request, campaign_id: int, action):
    need(request, "campaigns", "write")
    campaign = campaign_selectors.access_campaign(workspace=workspace_of(request), id=campaign_id)
    try:
        return action(campaign=campaign)
    except ValidationError as exc:
        raise _conflict(exc) from None


@router.post(
    "/campaigns/{int:campaign_id}/pause",
    response=CampaignOut,
    url_name="campaign_pause",
    tags=["campaigns"],
)
def campaign_pause(request, campaign_id: int):
    return _transition(request, campaign_id, campaign_services.campaign_pause)


@router.post(
    "/campaigns/{int:campaign_id}/resume",
    response=CampaignOut,
    url_name="campaign_resume",
    tags=["campaigns"],
)
def campaign_resume(request, campaign_id: int):
    return _transition(request, campaign_id, campaign_services.campaign_resume)


@router.post(
    "/campaigns/{int:campaign_id}/cancel",
    response=CampaignOut,
    url_name="campaign_cancel",
    tags=["campaigns"],
)
def campaign_cancel(request, campaign_id: int):
    return _transition(request, campaign_id, campaign_services.campaign_cancel)


@router.get(
    "/campaigns/{int:campaign_id}/report",
    response=ReportOut,
    url_name="campaign_report",
    tags=["reports"],
)
def campaign_report_get(request, campaign_id: int):
    need(request, "reports", "read")
    campaign = campaign_selectors.access_campaign(workspace=workspace_of(request), id=campaign_id)
    report = campaign_report(campaign=campaign)
    return {
        **{f: getattr(report, f) for f in ReportOut.model_fields if not f.endswith("_rate")},
        "open_rate": report.open_rate,
        "click_rate": report.click_rate,
        "click_to_open_rate": report.click_to_open_rate,
    }
