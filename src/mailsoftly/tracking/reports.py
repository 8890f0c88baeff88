"""The campaign report (signed-in): page, live figures, audience breakdown, downloads.

Every figure comes from the incremental counters (``CampaignStats``, ``Link``,
``CampaignActivity``), so the page costs a few single-row reads whatever the campaign's
size. The per-list and per-segment breakdown joins the deliveries and is loaded after the
page, and cached briefly.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id
from mailsoftly.core.spreadsheets import cell_neutralise
from mailsoftly.tracking import pdf, selectors

EXPORT_FORMATS = ("csv", "xlsx", "pdf")


def _campaign(request: HttpRequest, pk: int):
    from mailsoftly.campaigns.selectors import access_campaign

    return access_campaign(workspace=request.workspace, id=pk)


def _refresh_seconds() -> int:
    return max(1, int(getattr(settings, "TRACKING_REPORT_REFRESH_SECONDS", 15)))


def _figures(campaign) -> dict:
    return {
        "campaign": campaign,
        "report": selectors.campaign_report(campaign=campaign),
        "links": selectors.link_report(campaign=campaign),
        "refresh_seconds": _refresh_seconds(),
    }


def _segment_choice(request: HttpRequest, campaign):
    """The extra segment asked for with ``?segment=<id>``: (segment or None, error or "")."""
    from mailsoftly.contacts.models import Segment

    raw = request.GET.get("segment", "")
    if not raw:
        return None, ""
    segment_id = parse_id(raw)
    found = (
        Segment.objects.for_workspace(campaign.workspace).filter(pk=segment_id).first()
        if segment_id is not None
        else None
    )
    if found is None:
        return None, _("That segment does not exist. Choose one from the list.")
    return found, ""


@login_required
def report_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    context = {**_figures(campaign), "series": selectors.activity_series(campaign=campaign)}
    return render(request, "tracking/report.html", context)


@login_required
def report_figures(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the report page, polled while the page is open."""
    campaign = _campaign(request, pk)
    return render(request, "tracking/_report_figures.html", _figures(campaign))


@login_required
def report_audience(request: HttpRequest, pk: int) -> HttpResponse:
    """Engagement per list and per segment (loaded after the page)."""
    from mailsoftly.contacts.selectors import segment_list

    campaign = _campaign(request, pk)
    segment, error = _segment_choice(request, campaign)
    context = {
        "campaign": campaign,
        "rows": selectors.audience_engagement(campaign=campaign, segment=segment),
        "segments": segment_list(workspace=campaign.workspace),
        "chosen": segment,
        "error": error,
    }
    return render(request, "tracking/_report_audience.html", context)


def _summary_rows(report) -> list[tuple[str, object]]:
    return [
        (_("Recipients"), report.recipients),
        (_("Delivered"), report.delivered),
        (_("Hard bounces"), report.hard_bounces),
        (_("Soft bounces"), report.soft_bounces),
        (_("Unique opens"), report.unique_opens),
        (_("Opens"), report.opens),
        (_("Open rate %"), report.open_rate),
        (_("Unique clicks"), report.unique_clicks),
        (_("Clicks"), report.clicks),
        (_("Click rate %"), report.click_rate),
        (_("Click-to-open rate %"), report.click_to_open_rate),
        (_("Unsubscribes"), report.unsubscribes),
        (_("Complaints"), report.complaints),
        (_("Interested rate %"), report.interested_rate),
        (_("Very interested rate %"), report.very_interested_rate),
        (_("Machine opens"), report.machine_opens),
        (_("Machine clicks"), report.machine_clicks),
    ]


def _audience_rows(campaign) -> list[list]:
    return [
        [
            str(row.kind_label),
            cell_neutralise(row.name),
            row.delivered,
            row.unique_opens,
            row.unique_clicks,
            row.interested_rate,
            row.very_interested_rate,
        ]
        for row in selectors.audience_engagement(campaign=campaign)
    ]


def _audience_header() -> list[str]:
    return [
        _("Audience"),
        _("Name"),
        _("Delivered"),
        _("Opened"),
        _("Clicked"),
        _("Interested rate %"),
        _("Very interested rate %"),
    ]


def _inline_static(name: str) -> str:
    found = finders.find(name)
    if not found:
        return ""
    return Path(found).read_text(encoding="utf-8")


def _pdf(request: HttpRequest, campaign) -> HttpResponse:
    context = {
        **_figures(campaign),
        "series": selectors.activity_series(campaign=campaign),
        "audience": selectors.audience_engagement(campaign=campaign),
        "chart_js": _inline_static("vendor/chart.umd.min.js"),
        "printed_at": clock.now(),
    }
    html = render_to_string("tracking/report_print.html", context, request=request)
    try:
        data = pdf.html_to_pdf(html)
    except pdf.PdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("tracking:report", pk=campaign.pk)
    return HttpResponse(data, content_type="application/pdf")


@login_required
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404(fmt)
    campaign = _campaign(request, pk)
    name = f"campaign-{campaign.pk}-report"
    if fmt == "pdf":
        response = _pdf(request, campaign)
        if response.status_code != 200:
            return response
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    rows = _summary_rows(selectors.campaign_report(campaign=campaign))
    links = [
        (cell_neutralise(link.url), link.unique_clicks, link.clicks)
        for link in selectors.link_report(campaign=campaign)
    ]
    audience = _audience_rows(campaign)
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Summary"))
        for label, value in rows:
            sheet.append([str(label), value])
        sheet = book.create_sheet(_("Links"))
        sheet.append([_("Link"), _("Unique clicks"), _("Clicks")])
        for row in links:
            sheet.append(list(row))
        sheet = book.create_sheet(_("Audience"))
        sheet.append(_audience_header())
        for row in audience:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Metric"), _("Value")])
        writer.writerows((str(label), value) for label, value in rows)
        writer.writerow([])
        writer.writerow([_("Link"), _("Unique clicks"), _("Clicks")])
        writer.writerows(links)
        writer.writerow([])
        writer.writerow(_audience_header())
        writer.writerows(audience)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
