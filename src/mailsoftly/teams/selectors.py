"""Reads about workspaces and memberships."""

from __future__ import annotations

from django.db.models import Case, Q, QuerySet, Value, When
from django.http import Http404

from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id
from mailsoftly.teams.models import (
    Invitation,
    InvitationStatus,
    Membership,
    OrganisationDomain,
    Role,
    Workspace,
)


def membership_list(*, user) -> QuerySet[Membership]:
    """The user's active memberships in live workspaces."""
    return (
        Membership.objects.filter(
            user=user, disabled_at__isnull=True, workspace__trashed_at__isnull=True
        )
        .select_related("workspace")
        .order_by("workspace__name", "workspace_id")
    )


def membership_get(*, user, workspace_id: int | str | None) -> Membership | None:
    """The user's active membership in that workspace, or None (missing and not yours alike)."""
    parsed = parse_id(workspace_id)
    if parsed is None:
        return None
    return membership_list(user=user).filter(workspace_id=parsed).first()


def workspace_default_for(*, user) -> Workspace | None:
    membership = membership_list(user=user).first()
    return membership.workspace if membership else None


def member_list(*, workspace: Workspace, include_disabled: bool = False) -> QuerySet[Membership]:
    """A workspace's memberships with their users, Primary Admin first."""
    members = Membership.objects.filter(workspace_id=workspace.pk).select_related("user")
    if not include_disabled:
        members = members.filter(disabled_at__isnull=True)
    rank = Case(
        When(role=Role.PRIMARY_ADMIN, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
    )
    return members.order_by(rank, "user__username", "id")


def primary_admin_get(*, workspace: Workspace) -> Membership | None:
    return (
        Membership.objects.active()
        .filter(workspace_id=workspace.pk, role=Role.PRIMARY_ADMIN)
        .select_related("user")
        .first()
    )


def access_membership(*, workspace: Workspace, id, include_removed: bool = False) -> Membership:
    """A membership of ``workspace`` (404 alike for missing and another workspace's)."""
    parsed = parse_id(id)
    rows = Membership.objects.filter(workspace_id=workspace.pk).select_related("user")
    if not include_removed:
        rows = rows.filter(disabled_at__isnull=True)
    membership = rows.filter(pk=parsed).first() if parsed else None
    if membership is None:
        raise Http404("membership")
    return membership


def removed_member_list(*, workspace: Workspace) -> QuerySet[Membership]:
    """Removed members still within the restore window, soonest purge first."""
    return (
        Membership.objects.filter(workspace_id=workspace.pk, trashed_at__isnull=False)
        .select_related("user")
        .order_by("trashed_at", "id")
    )


def invitation_list(*, workspace: Workspace, pending_only: bool = True) -> QuerySet[Invitation]:
    rows = Invitation.objects.filter(workspace_id=workspace.pk).select_related("invited_by")
    if pending_only:
        rows = rows.filter(status=InvitationStatus.PENDING, expires_at__gt=clock.now())
    return rows.order_by("-created_at", "-id")


def access_invitation(*, workspace: Workspace, id) -> Invitation:
    parsed = parse_id(id)
    invitation = (
        Invitation.objects.filter(workspace_id=workspace.pk, pk=parsed).first() if parsed else None
    )
    if invitation is None:
        raise Http404("invitation")
    return invitation


def invitation_list_for_user(*, user) -> QuerySet[Invitation]:
    """Open invitations addressed to this account (linked, or to its address)."""
    from allauth.account.models import EmailAddress

    rows = EmailAddress.objects.filter(user=user)
    # Only addresses the account has proven (see services.invitations._user_owns_address).
    emails = list(rows.filter(verified=True).values_list("email", flat=True))
    if not rows.exists() and user.email:
        emails = [user.email]
    match = Q(user=user)
    for email in emails:
        match |= Q(email__iexact=email)
    return (
        Invitation.objects.filter(
            match,
            status=InvitationStatus.PENDING,
            expires_at__gt=clock.now(),
            workspace__trashed_at__isnull=True,
        )
        .select_related("workspace", "invited_by")
        .order_by("-created_at")
    )


def access_invitation_for_user(*, user, id) -> Invitation:
    parsed = parse_id(id)
    invitation = invitation_list_for_user(user=user).filter(pk=parsed).first() if parsed else None
    if invitation is None:
        raise Http404("invitation")
    return invitation


def domain_list(*, workspace: Workspace) -> QuerySet[OrganisationDomain]:
    return OrganisationDomain.objects.filter(workspace_id=workspace.pk).order_by("domain")


def access_domain(*, workspace: Workspace, id) -> OrganisationDomain:
    parsed = parse_id(id)
    claim = domain_list(workspace=workspace).filter(pk=parsed).first() if parsed else None
    if claim is None:
        raise Http404("domain")
    return claim


def domain_account_list(*, workspace: Workspace, claim: OrganisationDomain) -> list[dict]:
    """Accounts registered with an address at a domain this workspace verified (P22)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    if claim.workspace_id != workspace.pk or claim.verified_at is None:
        return []
    suffix = "@" + claim.domain
    User = get_user_model()
    accounts: dict[int, dict] = {}
    for user in User.objects.filter(email__iendswith=suffix).order_by("username"):
        accounts[user.pk] = {
            "username": user.get_username(),
            "email": user.email,
            "joined": user.date_joined,
        }
    extra = EmailAddress.objects.filter(email__iendswith=suffix, verified=True).select_related(
        "user"
    )
    for address in extra:
        accounts.setdefault(
            address.user_id,
            {
                "username": address.user.get_username(),
                "email": address.email,
                "joined": address.user.date_joined,
            },
        )
    return sorted(accounts.values(), key=lambda a: a["username"].casefold())


def account_details(*, workspace: Workspace) -> list[tuple[str, str]]:
    """What the billing contact is told about the account (P21)."""
    from django.utils.translation import gettext as _

    primary = primary_admin_get(workspace=workspace)
    verified = [d.domain for d in domain_list(workspace=workspace) if d.verified_at]
    return [
        (_("Workspace"), workspace.name),
        (_("Workspace id"), str(workspace.pk)),
        (_("Data region"), workspace.get_region_display()),
        (_("Created"), workspace.created_at.strftime("%Y-%m-%d")),
        (
            _("Primary Admin"),
            f"{primary.user.get_username()} <{primary.user.email}>" if primary else "—",
        ),
        (
            _("Active members"),
            str(Membership.objects.active().filter(workspace_id=workspace.pk).count()),
        ),
        (_("Verified domains"), ", ".join(verified) or "—"),
    ]
