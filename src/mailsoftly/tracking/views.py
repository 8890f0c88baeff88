"""Tracking endpoints (public, hot) and the campaign report (signed-in)."""

from __future__ import annotations

import base64
import csv
import io

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mailsoftly.core import clock
from mailsoftly.tracking import recorder, selectors, tokens
from mailsoftly.tracking.models import EventKind, Link

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
OPENS_PER_DELIVERY_AND_IP_PER_HOUR = 20


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _pixel() -> HttpResponse:
    response = HttpResponse(GIF, content_type="image/gif")
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, private, max-age=0"
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response


def _flooding(target: tokens.Target, ip: str | None) -> bool:
    """Past a few opens of one delivery from one address an hour, stop recording.

    Keyed by delivery and address, so a flood never hides the first open of anyone else.
    """
    key = f"trk:o:{target.region}:{target.delivery_id}:{ip}"
    try:
        if cache.add(key, 1, timeout=3600):
            return False
        return cache.incr(key) > OPENS_PER_DELIVERY_AND_IP_PER_HOUR
    except Exception:
        return False


@require_GET
@never_cache
def open_view(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: always the GIF, whatever the token or the event store."""
    target = tokens.read(token, kind="open")
    ip = _client_ip(request)
    if target is not None and not _flooding(target, ip):
        recorder.record(
            recorder.new_event(
                kind=EventKind.OPEN,
                region=target.region,
                delivery_id=target.delivery_id,
                at=clock.now().isoformat(),
                ip=ip,
                ua=request.headers.get("User-Agent", "")[:512],
            )
        )
    return _pixel()


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/link_not_found.html", status=404)


@require_GET
@never_cache
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    """Redirect to the stored destination of a signed link, and record the click."""
    target = tokens.read(token, kind="click")
    if target is None:
        return _not_found(request)
    link = (
        Link.objects.dangerously_all_workspaces(target.region)
        .filter(pk=target.link_id)
        .only("url", "is_honeypot")
        .first()
    )
    if link is None:
        return _not_found(request)
    recorder.record(
        recorder.new_event(
            kind=EventKind.CLICK,
            region=target.region,
            delivery_id=target.delivery_id,
            link_id=link.pk,
            at=clock.now().isoformat(),
            ip=_client_ip(request),
            ua=request.headers.get("User-Agent", "")[:512],
        )
    )
    if link.is_honeypot or not link.url.lower().startswith(("http://", "https://")):
        return render(request, "tracking/link_not_found.html", status=404)
    # Exactly the stored URL: none of the destination's parameters removed, none added.
    return HttpResponseRedirect(link.url)


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
            sheet.append([_safe_cell(row[0]), row[1], row[2]])
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
        writer.writerows((_safe_cell(url), unique, total) for url, unique, total in links)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _safe_cell(value: str) -> str:
    """Spreadsheets must not execute a cell: neutralise formula starts."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@staff_member_required
def platform_statistics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/platform.html", {"stats": selectors.platform_statistics()})
