from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from mailsoftly.core import selectors as core_selectors
from mailsoftly.teams import selectors as team_selectors
from mailsoftly.teams.middleware import SESSION_KEY
from mailsoftly.web import registry


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    cards = registry.dashboard_cards(workspace=request.workspace) if request.workspace else []
    return render(request, "web/dashboard.html", {"cards": cards})


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    membership = team_selectors.membership_get(
        user=request.user, workspace_id=request.POST.get("workspace")
    )
    if membership is None:
        messages.error(request, _("That workspace does not exist or you are not a member."))
    else:
        request.session[SESSION_KEY] = membership.workspace_id
        messages.success(request, _("Switched to %(name)s.") % {"name": membership.workspace.name})
    # Only a path on this site is followed, and as a URL: redirect() would also try a
    # bare word ("abc") as a view name.
    target = request.POST.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("web:dashboard")
    return HttpResponseRedirect(target)


@staff_member_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(core_selectors.outbox_list(), 50).get_page(request.GET.get("page"))
    return render(request, "web/outbox_list.html", {"page_obj": page})


@staff_member_required
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(core_selectors.outbox_list(), pk=pk)
    return render(request, "web/outbox_detail.html", {"message": message})


@staff_member_required
@xframe_options_sameorigin
def outbox_html(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(core_selectors.outbox_list(), pk=pk)
    response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
    # Even if opened directly, the captured HTML runs with no script and no origin.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'"
    )
    return response
