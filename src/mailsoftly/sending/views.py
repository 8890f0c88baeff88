"""Sending settings: SMTP servers (with a test send), sender identities, DKIM keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.sending import dns_check, routing, selectors, services
from mailsoftly.sending.forms import DkimKeyForm, SenderIdentityForm, SmtpServerForm, TestSendForm


def _admin_workspace(request: HttpRequest):
    if request.workspace is None:
        raise Http404("no workspace")
    if not (request.membership and request.membership.is_admin):
        raise PermissionDenied
    return request.workspace


def _page(request, workspace, **forms) -> dict:
    keys = selectors.dkim_key_list(workspace=workspace)
    context = {
        "servers": selectors.smtp_server_list(workspace=workspace),
        "identities": selectors.sender_identity_list(workspace=workspace),
        "keys": [(key, dns_check.records_for(key)) for key in keys],
        "uses_capture": routing.uses_capture(workspace=workspace),
        "hooks": selectors.bounce_hook_list(workspace=workspace),
        "hook_url": request.build_absolute_uri(reverse("bounce_hooks:receive", args=["ses"])),
        "server_form": SmtpServerForm(),
        "identity_form": SenderIdentityForm(),
        "dkim_form": DkimKeyForm(),
        "test_form": TestSendForm(initial={"to_email": request.user.email}),
    }
    context.update(forms)
    return context


@login_required
def sending_settings(request: HttpRequest) -> HttpResponse:
    workspace = _admin_workspace(request)
    return render(request, "sending/settings.html", _page(request, workspace))


@login_required
def server_create(request: HttpRequest) -> HttpResponse:
    workspace = _admin_workspace(request)
    form = SmtpServerForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.smtp_server_create(workspace=workspace, **data)
        except LimitExceeded as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("SMTP server added."))
            return redirect("sending:settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sending/server_form.html", {"form": form, "server": None}, status=status
    )


@login_required
def server_edit(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    server = selectors.access_smtp_server(workspace=workspace, id=pk)
    form = SmtpServerForm(request.POST or None, instance=server)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password") or None
        server = selectors.access_smtp_server(workspace=workspace, id=pk)
        services.smtp_server_update(server=server, password=password, **data)
        messages.success(request, _("SMTP server saved."))
        return redirect("sending:settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sending/server_form.html", {"form": form, "server": server}, status=status
    )


@login_required
@require_POST
def server_test(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    server = selectors.access_smtp_server(workspace=workspace, id=pk)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        return render(
            request, "sending/settings.html", _page(request, workspace, test_form=form), status=400
        )
    result = services.smtp_server_test_send(
        server=server,
        to_email=form.cleaned_data["to_email"],
        from_email=form.cleaned_data["from_email"],
    )
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("sending:settings")


@login_required
@require_POST
def server_trash(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    server = selectors.access_smtp_server(workspace=workspace, id=pk)
    services.smtp_server_trash(server=server, by_user_id=request.user.pk)
    messages.success(request, _("SMTP server moved to the trash."))
    return redirect("sending:settings")


@login_required
@require_POST
def identity_create(request: HttpRequest) -> HttpResponse:
    workspace = _admin_workspace(request)
    form = SenderIdentityForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return render(
            request,
            "sending/settings.html",
            _page(request, workspace, identity_form=form),
            status=400,
        )
    services.sender_identity_create(workspace=workspace, **form.cleaned_data)
    messages.success(request, _("Sender added."))
    return redirect("sending:settings")


@login_required
@require_POST
def dkim_create(request: HttpRequest) -> HttpResponse:
    workspace = _admin_workspace(request)
    form = DkimKeyForm(request.POST)
    if form.is_valid():
        try:
            services.dkim_key_generate(workspace=workspace, **form.cleaned_data)
        except ValueError as exc:
            form.add_error("domain", str(exc))
        else:
            messages.success(request, _("DKIM key generated. Publish the records below."))
            return redirect("sending:settings")
    return render(
        request, "sending/settings.html", _page(request, workspace, dkim_form=form), status=400
    )


@login_required
@require_POST
def dkim_check(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    key = selectors.access_dkim_key(workspace=workspace, id=pk)
    records = dns_check.records_for(key, check=True)
    return render(request, "sending/dns_check.html", {"key": key, "records": records})


@login_required
@require_POST
def dkim_trash(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    key = selectors.access_dkim_key(workspace=workspace, id=pk)
    services.dkim_key_trash(key=key, by_user_id=request.user.pk)
    messages.success(request, _("DKIM key moved to the trash."))
    return redirect("sending:settings")


@login_required
@require_POST
def bounce_hook_create(request: HttpRequest) -> HttpResponse:
    """A new bounce hook; its token is shown on this one page and never again."""
    workspace = _admin_workspace(request)
    hook, token = services.bounce_hook_create(
        workspace=workspace, name=request.POST.get("name", "")
    )
    messages.success(request, _("Bounce hook added. Copy its token now: it is not shown again."))
    return render(
        request,
        "sending/settings.html",
        _page(request, workspace, new_hook=hook, new_hook_token=token),
    )


@login_required
@require_POST
def bounce_hook_trash(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _admin_workspace(request)
    hook = selectors.access_bounce_hook(workspace=workspace, id=pk)
    services.bounce_hook_trash(hook=hook, by_user_id=request.user.pk)
    messages.success(request, _("Bounce hook moved to the trash."))
    return redirect("sending:settings")
