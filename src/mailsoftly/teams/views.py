"""Team pages: members, invitations, settings (name, domains, billing contact).

Views parse the request, look objects up through ``access_*`` selectors (404 alike for
missing and another workspace's), call one service and render. Services check roles.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.core.trash import RETENTION
from mailsoftly.teams import selectors, services
from mailsoftly.teams.decorators import permission_required, workspace_required
from mailsoftly.teams.errors import PermissionRefused, TeamError
from mailsoftly.teams.forms import (
    BillingContactForm,
    DomainForm,
    InviteForm,
    RenameForm,
    WorkspaceForm,
)
from mailsoftly.teams.middleware import SESSION_KEY
from mailsoftly.teams.permissions import Perm, membership_can
from mailsoftly.teams.services.billing import (
    BillingLinkInvalid,
    billing_contact_get,
    billing_details_check,
)
from mailsoftly.teams.services.invitations import (
    InvitationProblem,
    invitation_check,
    invitation_from_token,
)

PROBLEM_STATUS = {"invalid": 404, "expired": 410, "used": 410, "revoked": 410, "wrong_account": 403}


def _refused(request: HttpRequest, error: PermissionRefused) -> HttpResponse:
    return render(request, "teams/refused.html", {"message": error.message}, status=403)


def _act(request: HttpRequest, action, *, success: str, to: str) -> HttpResponse:
    """Run one service call for a POST button; report the outcome on the next page."""
    try:
        action()
    except PermissionRefused as error:
        return _refused(request, error)
    except TeamError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(to)


# --- Members ----------------------------------------------------------------------------


@workspace_required
@require_GET
def members(request: HttpRequest) -> HttpResponse:
    workspace, me = request.workspace, request.membership
    can_manage = membership_can(me, Perm.MANAGE_MEMBERS)
    removed = list(selectors.removed_member_list(workspace=workspace)) if can_manage else []
    return render(
        request,
        "teams/members.html",
        {
            "members": selectors.member_list(workspace=workspace),
            "removed": removed,
            "can_manage": can_manage,
            "can_restore": membership_can(me, Perm.RESTORE_MEMBERS),
            "can_transfer": membership_can(me, Perm.TRANSFER_PRIMARY),
            "retention_days": RETENTION.days,
        },
    )


@workspace_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.access_membership(workspace=request.workspace, id=pk)
    return _act(
        request,
        lambda: services.member_role_change(
            workspace=request.workspace,
            actor=request.user,
            membership=target,
            role=request.POST.get("role", ""),
            request=request,
        ),
        success=_("Role changed for %(user)s.") % {"user": target.user.get_username()},
        to="teams:members",
    )


@workspace_required
@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.access_membership(workspace=request.workspace, id=pk)
    leaving = target.user_id == request.user.pk
    response = _act(
        request,
        lambda: services.member_remove(
            workspace=request.workspace, actor=request.user, membership=target, request=request
        ),
        success=_("You left the workspace.")
        if leaving
        else _("%(user)s was removed. The Primary Admin can restore them for %(days)d days.")
        % {"user": target.user.get_username(), "days": RETENTION.days},
        to="web:dashboard" if leaving else "teams:members",
    )
    return response


@workspace_required
@require_POST
def member_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.access_membership(workspace=request.workspace, id=pk, include_removed=True)
    return _act(
        request,
        lambda: services.member_restore(
            workspace=request.workspace, actor=request.user, membership=target, request=request
        ),
        success=_("%(user)s was restored.") % {"user": target.user.get_username()},
        to="teams:members",
    )


@workspace_required
@require_POST
def primary_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.access_membership(workspace=request.workspace, id=pk)
    return _act(
        request,
        lambda: services.primary_admin_transfer(
            workspace=request.workspace, actor=request.user, membership=target, request=request
        ),
        success=_("%(user)s is now the Primary Admin.") % {"user": target.user.get_username()},
        to="teams:members",
    )


@login_required
@require_http_methods(["GET", "POST"])
def workspace_new(request: HttpRequest) -> HttpResponse:
    """Any signed-in user may own more workspaces; they become its Primary Admin."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                region=form.cleaned_data["region"],
                request=request,
            )
        except TeamError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except LimitExceeded as error:
            form.add_error("region" if "region" in form.fields else None, error.message)
        else:
            request.session[SESSION_KEY] = workspace.pk
            messages.success(request, _("Created %(name)s.") % {"name": workspace.name})
            return redirect("web:dashboard")
    return render(
        request, "teams/workspace_new.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Invitations ------------------------------------------------------------------------


@permission_required(Perm.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                workspace=request.workspace,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except PermissionRefused as error:
            return _refused(request, error)
        except TeamError as error:
            form.add_error(error.field or None, error.message)
        except LimitExceeded as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("teams:invitations")
    return render(
        request,
        "teams/invitations.html",
        {"form": form, "invitations": selectors.invitation_list(workspace=request.workspace)},
        status=400 if form.errors else 200,
    )


@permission_required(Perm.MANAGE_MEMBERS)
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.access_invitation(workspace=request.workspace, id=pk)
    return _act(
        request,
        lambda: services.invitation_revoke(
            workspace=request.workspace,
            actor=request.user,
            invitation=invitation,
            request=request,
        ),
        success=_("The invitation to %(email)s was revoked.") % {"email": invitation.email},
        to="teams:invitations",
    )


@login_required
@require_GET
def invitations_received(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "teams/invitations_received.html",
        {"invitations": selectors.invitation_list_for_user(user=request.user)},
    )


def _joined(request: HttpRequest, membership) -> HttpResponse:
    request.session[SESSION_KEY] = membership.workspace_id
    messages.success(request, _("Welcome to %(name)s.") % {"name": membership.workspace.name})
    return redirect("web:dashboard")


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.access_invitation_for_user(user=request.user, id=pk)
    try:
        if request.POST.get("answer") == "accept":
            membership = services.invitation_accept(
                user=request.user, invitation=invitation, request=request
            )
            return _joined(request, membership)
        services.invitation_decline(user=request.user, invitation=invitation, request=request)
    except InvitationProblem as problem:
        return _problem(request, problem)
    messages.info(request, _("Invitation declined."))
    return redirect("teams:invitations_received")


def _problem(request: HttpRequest, problem: InvitationProblem) -> HttpResponse:
    return render(
        request,
        "teams/invitation_problem.html",
        {"message": problem.message, "kind": problem.kind},
        status=PROBLEM_STATUS.get(problem.kind, 400),
    )


@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation mail. Anyone may decline; accepting needs the account."""
    try:
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer == "decline":
                services.invitation_decline(user=request.user, token=token, request=request)
                return render(request, "teams/invitation_done.html", {"accepted": False})
            if answer == "accept" and request.user.is_authenticated:
                membership = services.invitation_accept(
                    user=request.user, token=token, request=request
                )
                return _joined(request, membership)
        invitation = invitation_from_token(token)
        invitation_check(invitation=invitation, user=request.user)
    except InvitationProblem as problem:
        return _problem(request, problem)
    here = reverse("teams:invitation_open", kwargs={"token": token})
    return render(
        request,
        "teams/invitation_open.html",
        {
            "invitation": invitation,
            "login_url": reverse("account_login") + "?" + urlencode({"next": here}),
            "signup_url": reverse("account_signup") + "?" + urlencode({"next": here}),
        },
    )


# --- Settings ---------------------------------------------------------------------------


def _settings_context(request: HttpRequest, **forms) -> dict:
    workspace = request.workspace
    contact = billing_contact_get(workspace=workspace)
    context = {
        "rename_form": RenameForm(initial={"name": workspace.name}),
        "domain_form": DomainForm(),
        "billing_form": BillingContactForm(
            initial={"name": contact.name, "email": contact.email, "address": contact.address}
            if contact
            else None
        ),
        "domains": selectors.domain_list(workspace=workspace),
        "billing_contact": contact,
        "can_billing": membership_can(request.membership, Perm.MANAGE_BILLING),
    }
    context.update(forms)
    return context


@permission_required(Perm.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "teams/settings.html", _settings_context(request))
    section = request.POST.get("section")
    form_class, key = {
        "rename": (RenameForm, "rename_form"),
        "domain": (DomainForm, "domain_form"),
        "billing": (BillingContactForm, "billing_form"),
    }.get(section, (None, None))
    if form_class is None:
        messages.error(request, _("Unknown form."))
        return redirect("teams:settings")
    form = form_class(request.POST)
    if form.is_valid():
        data, common = (
            form.cleaned_data,
            {"workspace": request.workspace, "actor": request.user, "request": request},
        )
        try:
            if section == "rename":
                services.workspace_rename(name=data["name"], **common)
                done = _("The workspace is now called %(name)s.") % {"name": data["name"]}
            elif section == "domain":
                claim = services.domain_claim(domain=data["domain"], **common)
                done = _("Add the TXT record shown for %(domain)s, then press Verify.") % {
                    "domain": claim.domain
                }
            else:
                services.billing_contact_set(**data, **common)
                done = _("Billing contact saved.")
        except PermissionRefused as error:
            return _refused(request, error)
        except TeamError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, done)
            return redirect("teams:settings")
    return render(
        request, "teams/settings.html", _settings_context(request, **{key: form}), status=400
    )


@permission_required(Perm.MANAGE_SETTINGS)
@require_POST
def domain_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.access_domain(workspace=request.workspace, id=pk)
    return _act(
        request,
        lambda: services.domain_verify(
            workspace=request.workspace, actor=request.user, claim=claim, request=request
        ),
        success=_("%(domain)s is verified.") % {"domain": claim.domain},
        to="teams:settings",
    )


@permission_required(Perm.MANAGE_SETTINGS)
@require_POST
def domain_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.access_domain(workspace=request.workspace, id=pk)
    return _act(
        request,
        lambda: services.domain_remove(
            workspace=request.workspace, actor=request.user, claim=claim, request=request
        ),
        success=_("%(domain)s was removed.") % {"domain": claim.domain},
        to="teams:settings",
    )


@permission_required(Perm.MANAGE_SETTINGS)
@require_GET
def domain_accounts(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.access_domain(workspace=request.workspace, id=pk)
    accounts = selectors.domain_account_list(workspace=request.workspace, claim=claim)
    return render(request, "teams/domain_accounts.html", {"claim": claim, "accounts": accounts})


# --- The billing contact's request (no account needed) ----------------------------------


@require_http_methods(["GET", "POST"])
def billing_details_request_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            record = services.billing_details_request(token=token, request=request)
            return render(request, "teams/billing_request_done.html", {"record": record})
        workspace, contact = billing_details_check(token=token)
    except BillingLinkInvalid as error:
        return render(
            request, "teams/invitation_problem.html", {"message": error.message}, status=404
        )
    return render(
        request, "teams/billing_request.html", {"workspace": workspace, "contact": contact}
    )
