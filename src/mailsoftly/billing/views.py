"""Billing pages: plan & usage, choose plan → gateway checkout, profile, invoices, webhooks.

Thin: each view validates input, calls one service or selector and renders. Every page
here sends a Content-Security-Policy that lets scripts come only from us and the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import logging

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from mailsoftly.billing import documents, selectors, services
from mailsoftly.billing.errors import BillingError, WebhookRejected
from mailsoftly.billing.forms import BillingProfileForm, PlanChoiceForm
from mailsoftly.billing.gateways import fake as fake_gateway
from mailsoftly.billing.gateways import gateway_get
from mailsoftly.billing.models import SubscriptionStatus
from mailsoftly.teams.decorators import permission_required
from mailsoftly.teams.permissions import Perm

log = logging.getLogger(__name__)

# The shell's own inline handlers (web/base.html's workspace switcher), allowed by hash
# only: no other inline script runs on billing pages.
_SHELL_HANDLERS = ("this.form.requestSubmit()",)
_HANDLER_HASHES = " ".join(
    f"'sha256-{base64.b64encode(hashlib.sha256(h.encode()).digest()).decode()}'"
    for h in _SHELL_HANDLERS
)


def _csp(response: HttpResponse) -> HttpResponse:
    """Scripts only from ourselves and the configured gateway (policy P07's checkout rule)."""
    origins = " ".join(gateway_get().script_origins)
    gateway_hosts = " ".join(
        ["https://checkout.stripe.com", "https://billing.stripe.com"] if origins else []
    )
    response["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {origins} 'unsafe-hashes' {_HANDLER_HASHES}".replace("  ", " "),
            f"frame-src 'self' {origins}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action 'self' {gateway_hosts}".strip(),
            "frame-ancestors 'none'",
        ]
    )
    return response


def _absolute(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


@permission_required(Perm.MANAGE_BILLING)
def plan_page(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = {
        "usage": selectors.usage_get(workspace=workspace),
        "plans": selectors.plan_list(),
        "subscription": selectors.subscription_get(workspace=workspace),
        "profile": selectors.billing_profile_get(workspace=workspace),
        "statuses": SubscriptionStatus,
    }
    return _csp(render(request, "billing/plan.html", context))


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def plan_choose_view(request: HttpRequest) -> HttpResponse:
    form = PlanChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the plans offered."))
        return redirect("billing:plan")
    try:
        url = services.plan_choose(
            workspace=request.workspace,
            actor=request.user,
            plan_code=form.cleaned_data["plan"],
            success_url=_absolute(request, "billing:checkout_return"),
            cancel_url=_absolute(request, "billing:plan"),
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:plan")
    if url:
        # The gateway's hosted page: the only place a card is ever typed.
        return HttpResponseRedirect(url)
    messages.success(request, _("Your plan change has been sent to the payment provider."))
    return redirect("billing:plan")


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def cancel_view(request: HttpRequest) -> HttpResponse:
    try:
        services.subscription_cancel(workspace=request.workspace, actor=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The subscription ends at the end of the period already paid for.")
        )
    return redirect("billing:plan")


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def portal_view(request: HttpRequest) -> HttpResponse:
    try:
        url = services.portal_url(
            workspace=request.workspace,
            actor=request.user,
            return_url=_absolute(request, "billing:plan"),
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:plan")
    return HttpResponseRedirect(url)


@permission_required(Perm.MANAGE_BILLING)
def checkout_return(request: HttpRequest) -> HttpResponse:
    sub = selectors.subscription_get(workspace=request.workspace)
    if sub is not None and sub.status == SubscriptionStatus.ACTIVE and not sub.plan.is_free:
        messages.success(
            request, _("Thank you. The %(plan)s plan is active.") % {"plan": sub.plan.name}
        )
    else:
        messages.info(
            request,
            _("Thank you. Your plan changes as soon as the payment provider confirms it."),
        )
    return redirect("billing:plan")


@permission_required(Perm.MANAGE_BILLING)
def profile_view(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    profile = selectors.billing_profile_get(workspace=workspace)
    initial = {}
    if profile is not None:
        initial = {
            field: getattr(profile, field)
            for field in ("name", "email", "line1", "line2", "city", "postal_code", "state")
        } | {"country": profile.country.code, "tax_id": profile.tax_id}
    form = BillingProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _saved, proposed = services.billing_profile_save(
                workspace=workspace, actor=request.user, **form.cleaned_data
            )
        except BillingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Billing details saved."))
            if proposed != workspace.region:
                messages.info(
                    request,
                    _(
                        "Your billing address suggests the %(region)s data region. New "
                        "workspaces will propose it; this workspace stays where it is "
                        "unless you move it."
                    )
                    % {"region": proposed.upper()},
                )
            return redirect("billing:profile")
    context = {
        "form": form,
        "proposed_region": (
            selectors.region_proposed_for_country(profile.country.code) if profile else ""
        ),
    }
    return _csp(render(request, "billing/profile.html", context))


@permission_required(Perm.MANAGE_BILLING)
def invoice_list_view(request: HttpRequest) -> HttpResponse:
    invoices = selectors.invoice_list(workspace=request.workspace)
    return _csp(render(request, "billing/invoices.html", {"invoices": invoices}))


@permission_required(Perm.MANAGE_BILLING)
def invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.access_invoice(workspace=request.workspace, id=invoice_id)
    if invoice.pdf_url.startswith("https://"):
        return HttpResponseRedirect(invoice.pdf_url)
    try:
        pdf = documents.invoice_pdf(invoice=invoice, workspace=request.workspace)
    except documents.InvoicePdfUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("billing:invoices")
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = documents.invoice_filename(invoice=invoice)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _csp(response)


@permission_required(Perm.MANAGE_BILLING)
def fake_checkout(request: HttpRequest, token: str) -> HttpResponse:
    """The fake gateway's hosted checkout: a Pay button and no card field at all."""
    checkout = fake_gateway.fake_checkout_get(token=token, workspace=request.workspace)
    if checkout is None:
        raise Http404("checkout")
    plan = selectors.plan_get(code=checkout.plan_code)
    if request.method == "POST":
        if request.POST.get("action") == "pay":
            return HttpResponseRedirect(fake_gateway.fake_checkout_complete(checkout=checkout))
        return HttpResponseRedirect(fake_gateway.fake_checkout_cancel(checkout=checkout))
    return _csp(render(request, "billing/fake_checkout.html", {"plan": plan}))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    """Gateway → us. Genuine events get 200 whatever we made of them; forgeries get 400."""
    try:
        outcome = services.webhook_handle(
            gateway_name=gateway, payload=request.body, headers=request.headers
        )
    except WebhookRejected:
        return HttpResponseBadRequest("rejected", content_type="text/plain")
    return JsonResponse({"outcome": outcome})
