"""Thin views: the Trash page, account deletion, and the staff export of a legal hold."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.core.tenancy import access_object
from mailsoftly.lifecycle import selectors, services
from mailsoftly.lifecycle.forms import AccountDeleteForm
from mailsoftly.lifecycle.models import ExportFormat, ExportJob, LegalHold


def _workspace_or_404(request: HttpRequest):
    if request.workspace is None:
        raise Http404(_("No workspace"))
    return request.workspace


@login_required
def trash_page(request: HttpRequest) -> HttpResponse:
    workspace = _workspace_or_404(request)
    entries, truncated = selectors.trash_list(workspace=workspace)
    return render(request, "lifecycle/trash.html", {"entries": entries, "truncated": truncated})


@login_required
@require_POST
def trash_restore_view(request: HttpRequest, key: str, pk: str) -> HttpResponse:
    workspace = _workspace_or_404(request)
    obj = selectors.access_trashed(workspace=workspace, key=key, id=pk)
    if obj is None:
        raise Http404(_("Not in the trash"))
    label = str(obj)
    try:
        services.trash_restore(obj_or_queryset=obj, actor=request.user, request=request)
    except services.TrashError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Restored “%(label)s”.") % {"label": label})
    return redirect("lifecycle:trash")


def _needs_otp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    from mailsoftly.lifecycle.services.accounts import sole_primary_admin_blockers

    needs_otp = _needs_otp(request.user)
    form = AccountDeleteForm(request.POST or None, needs_otp=needs_otp)
    if request.method == "POST" and form.is_valid():
        try:
            deletion = services.account_deletion_request(
                user=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data.get("otp_code", ""),
                request=request,
            )
        except services.AccountDeletionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            logout(request)
            request.session["lifecycle_deleted_until"] = deletion.purge_after.isoformat()
            return redirect("lifecycle:account_deleted")
    return render(
        request,
        "lifecycle/account_delete.html",
        {"form": form, "blockers": sole_primary_admin_blockers(user=request.user)},
    )


def account_deleted(request: HttpRequest) -> HttpResponse:
    from django.utils.dateparse import parse_datetime

    until = parse_datetime(request.session.get("lifecycle_deleted_until") or "")
    return render(request, "lifecycle/account_deleted.html", {"until": until})


@login_required
def legal_hold_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Staff only; anyone else gets the same 404 as for a hold that does not exist.
    if not request.user.is_staff:
        raise Http404(_("Not found"))
    hold = LegalHold.objects.filter(pk=pk).first()
    if hold is None:
        raise Http404(_("Not found"))
    data = services.legal_hold_export(hold=hold, actor=request.user, request=request)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="legal-hold-{hold.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


# --- Exports ---------------------------------------------------------------------------


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    workspace = _workspace_or_404(request)
    error = ""
    if request.method == "POST":
        try:
            services.export_request(
                workspace=workspace,
                actor=request.user,
                format=request.POST.get("format", ""),
                request=request,
            )
        except services.ExportError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your export has started. It appears below when ready."))
            return redirect("lifecycle:exports")
    return render(
        request,
        "lifecycle/exports.html",
        {
            "exports": _export_rows(workspace),
            "formats": ExportFormat.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


def _export_rows(workspace) -> list[dict]:
    return [
        {"job": job, "token": services.export_link_token(job=job)}
        for job in selectors.export_list(workspace=workspace)
    ]


@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    workspace = _workspace_or_404(request)
    job = access_object(ExportJob, workspace=workspace, id=pk)
    return render(
        request,
        "lifecycle/_export_row.html",
        {"row": {"job": job, "token": services.export_link_token(job=job)}},
    )


@login_required
def export_download(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    workspace = _workspace_or_404(request)
    job = access_object(ExportJob, workspace=workspace, id=pk)
    if not services.export_link_check(job=job, token=token) or not job.file:
        raise Http404(_("This download link is invalid or has expired."))
    services.export_download_record(job=job, actor=request.user, request=request)
    filename = job.file.name.rsplit("/", 1)[-1]
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=filename)


# --- Personal data ---------------------------------------------------------------------


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        bundle = services.personal_data_bundle(user=request.user, request=request)
        response = HttpResponse(bundle, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="my-mailsoftly-data.zip"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "lifecycle/my_data.html")
