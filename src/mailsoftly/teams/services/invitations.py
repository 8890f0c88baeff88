"""Invitations by email: a signed, single-use token that expires after seven days.

The token signs the invitation's id and a random nonce, so it cannot be forged or
guessed, and once the invitation is answered or revoked every link to it is dead.
Inviting an address that already belongs to an account links that account, which then
sees the invitation in the app as well as in its mail.
"""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from mailsoftly.audit.services import audit_record
from mailsoftly.billing.services import limit_check
from mailsoftly.core import clock
from mailsoftly.core.ids import parse_id
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.teams.errors import TeamError
from mailsoftly.teams.models import (
    INVITATION_LIFETIME,
    Invitation,
    InvitationStatus,
    Membership,
    Role,
    Workspace,
)
from mailsoftly.teams.permissions import Perm
from mailsoftly.teams.services._guard import refuse, require

SALT = "mailsoftly.teams.invitation"


class InvitationProblem(TeamError):
    """Why an invitation link cannot be used. ``kind`` picks the page and status code."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT, compress=False)


def invitation_from_token(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a token names, or :class:`InvitationProblem` ("invalid")."""
    invalid = InvitationProblem(
        "invalid", _("This invitation link is not valid. Check that you copied all of it.")
    )
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise invalid from exc
    if not isinstance(payload, dict):
        raise invalid
    invitation_id = parse_id(payload.get("i"))
    if invitation_id is None:
        raise invalid
    rows = Invitation.objects.select_related("workspace")
    if lock:
        rows = rows.select_for_update()
    invitation = rows.filter(pk=invitation_id).first()
    if invitation is None or not constant_time_compare(str(payload.get("n", "")), invitation.nonce):
        raise invalid
    return invitation


def _check_open(invitation: Invitation) -> None:
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationProblem("revoked", _("This invitation was withdrawn by the workspace."))
    if invitation.status == InvitationStatus.EXPIRED:
        raise InvitationProblem(
            "expired", _("This invitation has expired. Ask the workspace for a new one.")
        )
    if invitation.status != InvitationStatus.PENDING:
        raise InvitationProblem("used", _("This invitation has already been answered."))
    if invitation.expires_at <= clock.now() or invitation.workspace.trashed_at is not None:
        raise InvitationProblem(
            "expired", _("This invitation has expired. Ask the workspace for a new one.")
        )


def _user_owns_address(user, email: str) -> bool:
    """True if the account has proven it receives mail at ``email``.

    A verified allauth address counts. An account with no allauth address rows at all
    (made by staff or a script, never through sign-up) is trusted on its profile email.
    """
    addresses = EmailAddress.objects.filter(user=user)
    if addresses.filter(email__iexact=email, verified=True).exists():
        return True
    return (user.email or "").casefold() == email.casefold() and not addresses.exists()


def _account_for_address(address: str):
    """The account that owns an address (by the rule above), or None."""
    verified = (
        EmailAddress.objects.filter(email__iexact=address, verified=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if verified is not None:
        return verified.user
    User = get_user_model()
    for candidate in User.objects.filter(email__iexact=address).order_by("id")[:5]:
        if _user_owns_address(candidate, address):
            return candidate
    return None


def _check_addressee(invitation: Invitation, user) -> None:
    if invitation.user_id == user.pk or _user_owns_address(user, invitation.email):
        return
    raise InvitationProblem(
        "wrong_account",
        _("This invitation was sent to a different email address than the one you use."),
    )


def invitation_check(*, invitation: Invitation, user=None) -> None:
    """Raise :class:`InvitationProblem` unless the invitation is open (and for ``user``)."""
    _check_open(invitation)
    if user is not None and getattr(user, "is_authenticated", False):
        _check_addressee(invitation, user)


def _normalise_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise TeamError(_("Enter a valid email address."), field="email") from exc
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _invitation_mail(invitation: Invitation, inviter) -> None:
    link = settings.BASE_URL.rstrip("/") + reverse(
        "teams:invitation_open", kwargs={"token": invitation_token(invitation)}
    )
    text = _(
        "%(inviter)s invited you to join the workspace “%(workspace)s” on Mailsoftly as "
        "%(role)s.\n\nAccept or decline here (the link works once and expires on "
        "%(expires)s):\n%(link)s\n\nIf you did not expect this, ignore this message."
    ) % {
        "inviter": inviter.get_username(),
        "workspace": invitation.workspace.name,
        "role": Role(invitation.role).label,
        "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        "link": link,
    }
    platform_mail_enqueue(
        to=[invitation.email],
        subject=_("Invitation to %(workspace)s") % {"workspace": invitation.workspace.name},
        text=text,
    )


def invitation_create(
    *, workspace: Workspace, actor, email: str, role: str = Role.MEMBER, request=None
) -> Invitation:
    """Invite an address as Admin or Member (Admins and the Primary Admin only)."""
    details = {"email": (email or "")[:254], "role": role}
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_MEMBERS,
        attempted="invitation.create",
        details=details,
    )
    if role not in (Role.ADMIN, Role.MEMBER):
        raise refuse(
            request=request,
            actor=actor,
            workspace=workspace,
            attempted="invitation.create",
            details=details,
            message=_("Invite people as Admin or Member; the Primary Admin role is handed over."),
        )
    address = _normalise_email(email)
    existing = _account_for_address(address)
    if (
        existing is not None
        and Membership.objects.active().filter(workspace_id=workspace.pk, user=existing).exists()
    ):
        raise TeamError(_("That person is already a member of this workspace."), field="email")
    now = clock.now()
    with transaction.atomic():
        # A lapsed invitation no longer blocks a fresh one to the same address.
        Invitation.objects.filter(
            workspace_id=workspace.pk,
            email__iexact=address,
            status=InvitationStatus.PENDING,
            expires_at__lte=now,
        ).update(status=InvitationStatus.EXPIRED)
        if (
            Invitation.objects.select_for_update()
            .filter(workspace_id=workspace.pk, email__iexact=address, status="pending")
            .exists()
        ):
            raise TeamError(
                _("That address already has a pending invitation. Revoke it to send a new one."),
                field="email",
            )
        # A pending invitation holds a seat: members + pending invitations + this one.
        limit_check(workspace=workspace, resource="seats", amount=1)
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=address,
            role=role,
            user=existing,
            invited_by=actor,
            nonce=secrets.token_hex(16),
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="invitation.created",
            target=invitation,
            after={"email": address, "role": role, "linked_user": getattr(existing, "pk", None)},
        )
        _invitation_mail(invitation, actor)
    return invitation


def _answer(invitation: Invitation, status: str) -> None:
    invitation.status = status
    invitation.answered_at = clock.now()
    invitation.save(update_fields=["status", "answered_at"])


def invitation_accept(
    *, user, token: str | None = None, invitation: Invitation | None = None, request=None
) -> Membership:
    """Join the workspace with the invited role. Works once, within seven days."""
    with transaction.atomic():
        if token is not None:
            invitation = invitation_from_token(token, lock=True)
        else:
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("workspace")
                .get(pk=invitation.pk)
            )
        _check_open(invitation)
        _check_addressee(invitation, user)
        membership = (
            Membership.objects.select_for_update()
            .filter(workspace_id=invitation.workspace_id, user=user)
            .first()
        )
        before = None
        if membership is None:
            membership = Membership.objects.create(
                user=user, workspace=invitation.workspace, role=invitation.role
            )
        elif membership.disabled_at is not None:
            # A removed member invited back: the invitation is the admins' decision.
            before = {"active": False, "role": membership.role}
            Membership.objects.filter(pk=membership.pk).restore_from_trash()
            Membership.objects.filter(pk=membership.pk).update(
                disabled_at=None, role=invitation.role
            )
            membership.refresh_from_db()
        _answer(invitation, InvitationStatus.ACCEPTED)
        if invitation.user_id is None:
            invitation.user = user
            invitation.save(update_fields=["user"])
        audit_record(
            request=request,
            actor=user,
            workspace=invitation.workspace,
            action="invitation.accepted",
            target=invitation,
            before=before,
            after={"email": invitation.email, "role": membership.role, "user": user.pk},
        )
    return membership


def invitation_decline(
    *, user=None, token: str | None = None, invitation: Invitation | None = None, request=None
) -> Invitation:
    """Turn an invitation down. The token alone is enough: no account needed."""
    with transaction.atomic():
        if token is not None:
            invitation = invitation_from_token(token, lock=True)
        else:
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            _check_addressee(invitation, user)
        _check_open(invitation)
        if token is not None and user is not None and getattr(user, "is_authenticated", False):
            _check_addressee(invitation, user)
        _answer(invitation, InvitationStatus.DECLINED)
        audit_record(
            request=request,
            actor=user if getattr(user, "is_authenticated", False) else None,
            workspace=invitation.workspace,
            action="invitation.declined",
            target=invitation,
            after={"email": invitation.email},
        )
    return invitation


def invitation_revoke(
    *, workspace: Workspace, actor, invitation: Invitation, request=None
) -> Invitation:
    """Withdraw a pending invitation; its link stops working at once."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_MEMBERS,
        attempted="invitation.revoke",
        target=invitation,
    )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(
            pk=invitation.pk, workspace_id=workspace.pk
        )
        if locked.status != InvitationStatus.PENDING:
            raise TeamError(_("Only pending invitations can be revoked."))
        _answer(locked, InvitationStatus.REVOKED)
        audit_record(
            request=request,
            actor=actor,
            workspace=workspace,
            action="invitation.revoked",
            target=locked,
            before={"status": InvitationStatus.PENDING},
            after={"status": InvitationStatus.REVOKED},
        )
    return locked
