"""Webhook settings pages: endpoints, their deliveries with every attempt, manual retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm
from mailsoftly.webhooks import selectors, services
from mailsoftly.webhooks.forms import EndpointForm


@permission_required(Perm.MANAGE_SETTINGS)
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(
                workspace=request.workspace, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            secret = endpoint.secret
            form = EndpointForm()
    endpoints = selectors.webhook_endpoint_list(workspace=request.workspace)
    return render(
        request,
        "webhooks/endpoints.html",
        {"form": form, "endpoints": endpoints, "secret": secret},
    )


@permission_required(Perm.MANAGE_SETTINGS)
def endpoint_detail(request, pk):
    endpoint = selectors.access_webhook_endpoint(workspace=request.workspace, id=pk)
    deliveries = [
        (m, list(selectors.webhook_attempt_list(message=m)))
        for m in selectors.webhook_message_list(endpoint=endpoint).order_by("-id")[:50]
    ]
    return render(
        request, "webhooks/endpoint_detail.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@require_POST
@permission_required(Perm.MANAGE_SETTINGS)
def endpoint_enable(request, pk):
    endpoint = selectors.access_webhook_endpoint(workspace=request.workspace, id=pk)
    services.webhook_endpoint_enable(endpoint=endpoint)
    messages.success(request, _("The endpoint is enabled again."))
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@require_POST
@permission_required(Perm.MANAGE_SETTINGS)
def endpoint_trash(request, pk):
    endpoint = selectors.access_webhook_endpoint(workspace=request.workspace, id=pk)
    services.webhook_endpoint_trash(endpoint=endpoint, by_user=request.user)
    messages.success(request, _("The endpoint was moved to the trash."))
    return redirect("webhooks:endpoint_list")


@require_POST
@permission_required(Perm.MANAGE_SETTINGS)
def message_retry(request, pk):
    message = selectors.access_webhook_message(workspace=request.workspace, id=pk)
    services.webhook_message_retry(message=message)
    messages.success(request, _("The delivery was queued again."))
    return redirect("webhooks:endpoint_detail", pk=message.endpoint_id)
