"""Tracking endpoints (public, hot) and the campaign report (signed-in)."""

from __future__ import annotations

import csv
import io

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mailsoftly.core.spreadsheets import cell_neutralise
from mailsoftly.tracking import hits, selectors


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_GET
@never_cache
def open_view(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: always the GIF, whatever the token or the event store."""
    hits.open_hit(token, ip=_client_ip(request), user_agent=request.headers.get("User-Agent", ""))
    response = HttpResponse(hits.GIF)
    for name, value in hits.PIXEL_HEADERS:
        response[name] = value
    return response


@require_GET
@never_cache
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    """Redirect to the stored destination of a signed link, and record the click."""
    destination = hits.click_hit(
        token, ip=_client_ip(request), user_agent=request.headers.get("User-Agent", "")
    )
    if destination is None:
        return render(request, "tracking/link_not_found.html", status=404)
    return HttpResponseRedirect(destination)


@login_required
def report_view(request: HttpRequest, pk: int) -> HttpResponse:
    from mailsoftly.campaigns.selectors import access_campaign

    campaign = access_campaign(workspace=request.workspace, id=pk)
    context = {
        "campaign": campaign,
        "report": selectors.campaign_report(campaign=campaign),
        "links": selectors.link_report(campaign=campaign),
        "series": selectors.activity_series(campaign=campaign),
    }
    return render(request, "tracking/report.html", context)


@login_required
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from mailsoftly.campaigns.selectors import access_campaign

    if fmt not in ("csv", "xlsx"):
        raise Http404(fmt)
    campaign = access_campaign(workspace=request.workspace, id=pk)
    report = selectors.campaign_report(campaign=campaign)
    rows = [
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
    links = [
        (link.url, link.unique_clicks, link.clicks)
        for link in selectors.link_report(campaign=campaign)
    ]
    name = f"campaign-{campaign.pk}-report"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Summary"))
        for row in rows:
            sheet.append([str(row[0]), row[1]])
        sheet = book.create_sheet(_("Links"))
        sheet.append([_("Link"), _("Unique clicks"), _("Clicks")])
        for row in links:
            sheet.append([cell_neutralise(row[0]), row[1], row[2]])
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
        writer.writerows((cell_neutralise(url), unique, total) for url, unique, total in links)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@staff_member_required
def platform_statistics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/platform.html", {"stats": selectors.platform_statistics()})
