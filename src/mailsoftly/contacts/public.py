"""Public pages: the hosted subscription form and the double opt-in confirmation.

No login. Bots are stopped by a honeypot field and a per-IP rate limit (no third-party
CAPTCHA). CSRF is off for the form POST on purpose: the form is meant to be embedded on the
workspace's own site, and the POST changes no session state of the visitor.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from mailsoftly.contacts import forms, selectors
from mailsoftly.contacts.models import ListVisibility
from mailsoftly.contacts.subscriptions import (
    SubscribeRefused,
    confirm_token_read,
    consent_text_hash,
    subscription_confirm,
    subscription_form_submit,
)
from mailsoftly.teams.models import Workspace

RATE_LIMIT = 10  # submissions per IP per window
RATE_WINDOW = 600


def _ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy, SecurityMiddleware/ProxyFix set REMOTE_ADDR; we trust only it.
    return request.META.get("REMOTE_ADDR") or None


def _rate_limited(request: HttpRequest) -> bool:
    key = f"contacts:subscribe:{_ip(request)}"
    if cache.add(key, 1, RATE_WINDOW):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, RATE_WINDOW)
        return False
    return count > RATE_LIMIT


def _public_list(form_key):
    contact_list = selectors.contact_list_by_form_key(form_key=form_key)
    if contact_list is None or contact_list.visibility != ListVisibility.PUBLIC:
        raise Http404
    return contact_list


@csrf_exempt
@xframe_options_exempt
def subscribe(request: HttpRequest, form_key) -> HttpResponse:
    contact_list = _public_list(form_key)
    form = forms.SubscribeForm(request.POST or None)
    context = {
        "contact_list": contact_list,
        "form": form,
        "text_hash": consent_text_hash(contact_list.consent_text),
        "workspace_name": contact_list.workspace.name,
    }
    if request.method == "POST":
        if _rate_limited(request):
            return render(
                request, "contacts/public/subscribe.html", {**context, "limited": True}, status=429
            )
        if request.POST.get("website"):
            # A bot filled the hidden field: answer like a success, store nothing.
            return render(
                request, "contacts/public/subscribe_done.html", {**context, "confirm": True}
            )
        if form.is_valid():
            try:
                result = subscription_form_submit(
                    contact_list=contact_list,
                    email=form.cleaned_data["email"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    shown_text_hash=request.POST.get("consent_hash", ""),
                    ip_address=_ip(request),
                    form_url=request.build_absolute_uri(request.path),
                    confirm_url_for=lambda token: request.build_absolute_uri(
                        reverse("contacts:subscribe_confirm", kwargs={"token": token})
                    ),
                )
            except SubscribeRefused as exc:
                form.add_error(None, str(exc))
            else:
                return render(
                    request,
                    "contacts/public/subscribe_done.html",
                    {**context, "confirm": result.needs_confirmation},
                )
    return render(request, "contacts/public/subscribe.html", context)


def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST confirms (link scanners only GET, so they confirm nothing)."""
    found = confirm_token_read(token)
    if found is None:
        raise Http404
    workspace = Workspace.objects.filter(pk=found[0]).first()
    if workspace is None:
        raise Http404
    if request.method == "POST":
        subscription = subscription_confirm(
            workspace=workspace, subscription_id=found[1], ip_address=_ip(request)
        )
        if subscription is None:
            raise Http404
        return render(
            request, "contacts/public/confirm.html", {"done": True, "subscription": subscription}
        )
    return render(request, "contacts/public/confirm.html", {"done": False})
