"""Tracking endpoints (public, hot) and the operator's platform statistics.

The campaign report lives in :mod:`mailsoftly.tracking.reports`.
"""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

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
# A mail reader may show the message in a frame (webmail panes, our capture view): the
# redirect must be followable there, as it is through the WSGI fast path.
@xframe_options_exempt
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    """Redirect to the stored destination of a signed link, and record the click."""
    destination = hits.click_hit(
        token, ip=_client_ip(request), user_agent=request.headers.get("User-Agent", "")
    )
    if destination is None:
        return render(request, "tracking/link_not_found.html", status=404)
    response = HttpResponseRedirect(destination)
    response["Referrer-Policy"] = "no-referrer"
    return response


@staff_member_required
def platform_statistics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "tracking/platform.html", {"stats": selectors.platform_statistics()})
