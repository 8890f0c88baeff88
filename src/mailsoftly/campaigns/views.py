"""Campaign pages: list, create, edit, detail with live progress, and actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.campaigns import selectors, services
from mailsoftly.campaigns.forms import CampaignForm, ScheduleForm
from mailsoftly.campaigns.models import EDITABLE, CampaignStatus
from mailsoftly.sending import routing
from mailsoftly.sending import selectors as sending_selectors


def _workspace(request: HttpRequest):
    if request.workspace is None:
        raise Http404("no workspace")
    return request.workspace


def _messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    workspace = _workspace(request)
    page = Paginator(selectors.campaign_list(workspace=workspace), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/campaign_list.html", {"page_obj": page})


def _form_fields(form: CampaignForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("name")
    return data


@login_required
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    workspace = _workspace(request)
    form = CampaignForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                workspace=workspace,
                name=form.cleaned_data["name"],
                created_by=request.user,
                **_form_fields(form),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Campaign created."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _workspace(request)
    campaign = selectors.access_campaign(workspace=workspace, id=pk)
    if campaign.status not in EDITABLE:
        messages.error(request, _("Only a draft or scheduled campaign can be changed."))
        return redirect("campaigns:detail", pk=campaign.pk)
    initial = {
        "name": campaign.name,
        "design": campaign.design_id,
        "sender": campaign.sender_id,
        "smtp_server": campaign.smtp_server_id,
        "list_ids": campaign.list_ids,
        "exclude_list_ids": campaign.exclude_list_ids,
        "segment_id": campaign.segment_id,
        "exclude_segment_ids": campaign.exclude_segment_ids,
    }
    form = CampaignForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                campaign=campaign, name=form.cleaned_data["name"], **_form_fields(form)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


def _detail_context(request, campaign) -> dict:
    return {
        "campaign": campaign,
        "reasons": selectors.delivery_reason_counts(campaign=campaign),
        "uses_capture": routing.uses_capture(workspace=campaign.workspace),
        "polling": campaign.status in (CampaignStatus.SENDING, CampaignStatus.SCHEDULED),
    }


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign(workspace=_workspace(request), id=pk)
    context = _detail_context(request, campaign)
    context["schedule_form"] = ScheduleForm()
    return render(request, "campaigns/campaign_detail.html", context)


@login_required
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign(workspace=_workspace(request), id=pk)
    return render(request, "campaigns/_progress.html", _detail_context(request, campaign))


ACTIONS = {
    "send": lambda c: services.campaign_send(campaign=c),
    "pause": lambda c: services.campaign_pause(campaign=c),
    "resume": lambda c: services.campaign_resume(campaign=c),
    "cancel": lambda c: services.campaign_cancel(campaign=c),
    "unschedule": lambda c: services.campaign_unschedule(campaign=c),
}


@login_required
@require_POST
def campaign_action(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign(workspace=_workspace(request), id=pk)
    action = request.POST.get("action", "")
    if action == "schedule":
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            context = _detail_context(request, campaign)
            context["schedule_form"] = form
            return render(request, "campaigns/campaign_detail.html", context, status=400)
        try:
            services.campaign_schedule(campaign=campaign, at=form.cleaned_data["scheduled_at"])
        except ValidationError as exc:
            for message in _messages_of(exc):
                form.add_error("scheduled_at", message)
            context = _detail_context(request, campaign)
            context["schedule_form"] = form
            return render(request, "campaigns/campaign_detail.html", context, status=400)
        messages.success(request, _("Campaign scheduled."))
        return redirect("campaigns:detail", pk=campaign.pk)
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, _("Unknown action."))
        return redirect("campaigns:detail", pk=campaign.pk)
    try:
        handler(campaign)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    except LimitExceeded as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
def campaign_captured(request: HttpRequest, pk: int) -> HttpResponse:
    """The local capture of this campaign's mail (no SMTP server configured)."""
    workspace = _workspace(request)
    campaign = selectors.access_campaign(workspace=workspace, id=pk)
    captured = sending_selectors.captured_message_list(workspace=workspace, campaign_id=campaign.pk)
    page = Paginator(captured, 20).get_page(request.GET.get("page"))
    shown = None
    message_id = request.GET.get("message")
    if message_id:
        record = sending_selectors.access_captured_message(workspace=workspace, id=message_id)
        if record.campaign_id != campaign.pk:
            raise Http404("not in this campaign")
        parsed = record.message()
        html = parsed.get_body(("html",))
        text = parsed.get_body(("plain",))
        shown = {
            "record": record,
            "headers": [(k, str(v)) for k, v in parsed.items() if k != "DKIM-Signature"],
            "signed": "DKIM-Signature" in parsed,
            "html": html.get_content() if html else "",
            "text": text.get_content() if text else "",
        }
    return render(
        request,
        "campaigns/campaign_captured.html",
        {"campaign": campaign, "page_obj": page, "shown": shown},
    )
