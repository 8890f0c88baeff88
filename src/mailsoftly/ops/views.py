"""Support console, access history, sign-in history and policy pages."""

from __future__ import annotations

from functools import wraps

import markdown
import nh3
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mailsoftly.accounts import selectors as account_selectors
from mailsoftly.accounts.services import user_sessions_end_others
from mailsoftly.audit.services import _client_ip
from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id
from mailsoftly.ops import selectors, services, usage
from mailsoftly.ops.forms import NewsletterForm, PolicyPublishForm, ReasonForm, SearchForm
from mailsoftly.ops.models import PolicyKind, PolicyVersion
from mailsoftly.teams.models import Workspace
from mailsoftly.teams.selectors import member_list, primary_admin_get

SESSION_REASONS = "ops_support_reasons"


def staff_required(view):
    """Staff only; everyone else (signed in or not) gets the same 404 as a missing page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


REASON_VALID_SECONDS = 3600


def _reason_for(request, key: str) -> str:
    """The reason given for ``key`` in this staff session, if given within the last hour."""
    entry = (request.session.get(SESSION_REASONS) or {}).get(key)
    if not isinstance(entry, list) or len(entry) != 2:
        return ""
    reason, given_at = entry
    if clock.now().timestamp() - float(given_at) > REASON_VALID_SECONDS:
        return ""
    return reason


@staff_required
def console(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    accounts, workspaces = [], []
    if form.is_valid():
        q = form.cleaned_data["q"]
        accounts = selectors.support_account_search(query=q)
        workspaces = selectors.support_workspace_search(query=q)
    return render(
        request,
        "ops/console.html",
        {"form": form, "accounts": accounts, "workspaces": workspaces},
    )


def _subject_page(request, *, key, subject, workspace, template, context):
    """Ask for the reason first; with one, record the access and show the page."""
    if request.method == "POST":
        form = ReasonForm(request.POST)
        if form.is_valid():
            reasons = dict(request.session.get(SESSION_REASONS) or {})
            reasons[key] = [form.cleaned_data["reason"].strip(), clock.now().timestamp()]
            request.session[SESSION_REASONS] = reasons
            return redirect(request.path)
    else:
        form = ReasonForm()
    reason = _reason_for(request, key)
    if not reason:
        return render(request, "ops/reason.html", {"form": form, "subject": subject})
    action = "workspace_view" if workspace is not None else "account_view"
    services.support_access_record(
        request=request, subject=subject, reason=reason, action=action, workspace=workspace
    )
    return render(request, template, {**context, "reason": reason, "subject": subject})


@staff_required
def support_account(request: HttpRequest, pk) -> HttpResponse:
    user_id = parse_id(pk)
    subject = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if subject is None:
        raise Http404
    return _subject_page(
        request,
        key=f"user:{subject.pk}",
        subject=subject,
        workspace=None,
        template="ops/account.html",
        context={
            "memberships": subject.memberships.select_related("workspace").all(),
            "sessions": selectors.usage_session_list(user=subject, limit=20),
            # The consent ledger, so support can answer "what did I agree to?" (P41).
            "policy_acceptances": account_selectors.policy_acceptance_list(user=subject)[:20],
            "marketing_consents": account_selectors.marketing_consent_list(user=subject),
            "consent_records": account_selectors.consent_record_list(user=subject),
        },
    )


@staff_required
def support_workspace(request: HttpRequest, pk) -> HttpResponse:
    ws_id = parse_id(pk)
    workspace = Workspace.objects.filter(pk=ws_id).first() if ws_id else None
    if workspace is None:
        raise Http404
    owner = primary_admin_get(workspace=workspace)
    if owner is None:
        raise Http404
    return _subject_page(
        request,
        key=f"workspace:{workspace.pk}",
        subject=owner.user,
        workspace=workspace,
        template="ops/workspace.html",
        context={"workspace": workspace, "members": member_list(workspace=workspace)},
    )


@login_required
def access_history(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ops/access_history.html",
        {"accesses": selectors.support_access_list(subject=request.user)[:500]},
    )


@login_required
def signin_history(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user_sessions_end_others(user=request.user)
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Every other session has been signed out."))
        return redirect("ops:signin_history")
    usage.usage_flush_local()  # show this process's pending records too
    current = usage.session_fingerprint(request.session.session_key)
    return render(
        request,
        "ops/signin_history.html",
        {"sessions": selectors.usage_session_list(user=request.user), "current": current},
    )


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["extra"])
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitised by nh3 just above


def policy_page(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in PolicyKind.values:
        raise Http404
    wanted = request.GET.get("version")
    pv = (
        PolicyVersion.objects.filter(kind=kind, version=wanted).first()
        if wanted
        else selectors.policy_current(kind=kind)
    )
    if pv is None:
        raise Http404
    return render(request, "ops/policy.html", {"version": pv, "html": render_markdown(pv.body)})


@login_required
@require_POST
def policy_acknowledge(request: HttpRequest) -> HttpResponse:
    pv = PolicyVersion.objects.filter(pk=parse_id(request.POST.get("version")) or 0).first()
    if pv is None:
        raise Http404
    services.policy_accept(
        user=request.user, version=pv, ip_address=_client_ip(request), source="acknowledged"
    )
    return redirect(request.POST.get("next") if _safe_next(request) else "/")


def _safe_next(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next") or ""
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})


@staff_required
def policy_publish(request: HttpRequest) -> HttpResponse:
    form = PolicyPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pv = services.policy_version_publish(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(None if field == "__all__" else field, errs)
        else:
            messages.success(request, _("%(version)s published.") % {"version": pv})
            return redirect("ops:policy_publish")
    versions = PolicyVersion.objects.all()[:50]
    return render(request, "ops/policy_publish.html", {"form": form, "versions": versions})


@staff_required
def newsletter(request: HttpRequest) -> HttpResponse:
    """Queue an operator newsletter; only accounts with marketing consent receive it (P19)."""
    from mailsoftly.ops.newsletter import newsletter_enqueue, newsletter_recipients

    form = NewsletterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        newsletter_enqueue(request=request, **form.cleaned_data)
        messages.success(request, _("The newsletter is being sent."))
        return redirect("ops:newsletter")
    return render(
        request,
        "ops/newsletter.html",
        {"form": form, "recipients": newsletter_recipients().count()},
    )
