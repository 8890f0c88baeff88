"""The operator review queue (platform staff only). Thin views: parse, look up, call."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from mailsoftly.screening import selectors, services
from mailsoftly.screening.forms import ReviewForm
from mailsoftly.teams.decorators import workspace_required


def staff_only(view):
    """Staff see the queue; everyone else gets the same 404 as for a missing page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404("not found")
        return view(request, *args, **kwargs)

    return wrapped


@staff_only
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "screening/queue.html", {"items": selectors.review_queue_list()})


@staff_only
def review_detail(request: HttpRequest, region: str, pk: int) -> HttpResponse:
    item = selectors.access_review_item(region=region, id=pk)
    return render(
        request,
        "screening/detail.html",
        {"item": item, "region": region, "form": ReviewForm()},
    )


@staff_only
@xframe_options_sameorigin
def review_preview(request: HttpRequest, region: str, pk: int) -> HttpResponse:
    item = selectors.access_review_item(region=region, id=pk)
    response = HttpResponse(item.html, content_type="text/html; charset=utf-8")
    # Even opened directly, the screened HTML runs with no script and no origin.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'"
    )
    return response


@staff_only
@require_POST
def review_decide(request: HttpRequest, region: str, pk: int) -> HttpResponse:
    item = selectors.access_review_item(region=region, id=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "screening/detail.html",
            {"item": item, "region": region, "form": form},
            status=400,
        )
    try:
        if form.cleaned_data["decision"] == "approve":
            services.screening_approve(
                result=item,
                reviewer=request.user,
                comment=form.cleaned_data["comment"],
                request=request,
            )
        else:
            services.screening_block(
                result=item,
                reviewer=request.user,
                comment=form.cleaned_data["comment"],
                request=request,
                suspend=form.cleaned_data["suspend"],
            )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(
            request,
            "screening/detail.html",
            {"item": item, "region": region, "form": form},
            status=400,
        )
    messages.success(request, _("Decision saved; the sender has been notified."))
    return redirect("screening:queue")


@workspace_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What the screen found in one of the workspace's emails, and the review outcome."""
    result = selectors.access_screening_result(workspace=request.workspace, id=pk)
    return render(request, "screening/result.html", {"result": result})
