"""The billing contact and their right to the account's details (policy P21).

The billing contact may be someone other than the Primary Admin and needs no account.
They receive a signed link; using it records a request, emails them the account's
details and notifies the Primary Admin (both mails sent by a task after commit).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from mailsoftly.audit.services import _client_ip, audit_record
from mailsoftly.core.ids import parse_id
from mailsoftly.core.mail import platform_mail_enqueue
from mailsoftly.teams.errors import TeamError
from mailsoftly.teams.models import BillingContact, BillingDetailsRequest, Workspace
from mailsoftly.teams.permissions import Perm
from mailsoftly.teams.services._guard import require

SALT = "mailsoftly.teams.billing-details"
LINK_MAX_AGE = 60 * 60 * 24 * 90  # a quarter: long enough for a billing cycle


class BillingLinkInvalid(TeamError):
    pass


def billing_contact_get(*, workspace: Workspace) -> BillingContact | None:
    return BillingContact.objects.for_workspace(workspace).order_by("id").first()


def billing_details_link(*, workspace: Workspace, contact: BillingContact) -> str:
    token = signing.dumps(
        {"w": workspace.pk, "c": contact.pk, "e": contact.email.lower()}, salt=SALT, compress=True
    )
    return settings.BASE_URL.rstrip("/") + reverse(
        "teams:billing_details_request", kwargs={"token": token}
    )


def _send_link(workspace: Workspace, contact: BillingContact) -> None:
    platform_mail_enqueue(
        to=[contact.email],
        subject=_("You are the billing contact of %(workspace)s") % {"workspace": workspace.name},
        text=_(
            "Hello %(name)s,\n\nYou are now the billing contact of the Mailsoftly workspace "
            "“%(workspace)s”. You may ask for the account's details at any time with this "
            "link; we will email them to you and let the account holder know:\n%(link)s\n"
        )
        % {
            "name": contact.name,
            "workspace": workspace.name,
            "link": billing_details_link(workspace=workspace, contact=contact),
        },
    )


def billing_contact_set(
    *, workspace: Workspace, actor, name: str, email: str, address: str, request=None
) -> BillingContact:
    """Set the billing contact (Admins and the Primary Admin)."""
    require(
        request=request,
        actor=actor,
        workspace=workspace,
        perm=Perm.MANAGE_BILLING,
        attempted="billing_contact.set",
    )
    name, email, address = (name or "").strip(), (email or "").strip(), (address or "").strip()
    if not name:
        raise TeamError(_("Enter the billing contact's name."), field="name")
    if len(name) > 200:
        raise TeamError(_("Keep the name to 200 characters or fewer."), field="name")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise TeamError(_("Enter a valid email address."), field="email") from exc
    if not address:
        raise TeamError(_("Enter a postal address."), field="address")
    if len(address) > 1000:
        raise TeamError(_("Keep the address to 1000 characters or fewer."), field="address")
    with transaction.atomic(using=workspace.database):
        contact = (
            BillingContact.objects.for_workspace(workspace)
            .select_for_update()
            .order_by("id")
            .first()
        )
        values = {"name": name, "email": email, "address": address}
        if contact is None:
            contact = BillingContact.objects.for_workspace(workspace).create(
                workspace=workspace, **values
            )
            changed = sorted(values)
            email_changed = True
        else:
            changed = sorted(k for k, v in values.items() if getattr(contact, k) != v)
            email_changed = "email" in changed
            for key, value in values.items():
                setattr(contact, key, value)
            contact.save()
        # The contact's details are regional personal data; the directory-held audit row
        # names the fields that changed, not their values.
        if changed:
            audit_record(
                request=request,
                actor=actor,
                workspace=workspace,
                action="billing_contact.changed",
                target=("teams.billingcontact", contact.pk),
                after={"fields": changed},
            )
        if email_changed:
            _send_link(workspace, contact)
    return contact


def _contact_from_token(token: str) -> tuple[Workspace, BillingContact]:
    invalid = BillingLinkInvalid(
        _("This link is not valid or has expired. Ask the workspace for a new one.")
    )
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise invalid from exc
    if not isinstance(payload, dict):
        raise invalid
    workspace = Workspace.objects.filter(
        pk=parse_id(payload.get("w")) or 0, trashed_at__isnull=True
    ).first()
    if workspace is None:
        raise invalid
    contact = billing_contact_get(workspace=workspace)
    # A link dies when the contact (or their address) changes.
    if (
        contact is None
        or contact.pk != parse_id(payload.get("c"))
        or contact.email.lower() != payload.get("e")
    ):
        raise invalid
    return workspace, contact


def billing_details_check(*, token: str) -> tuple[Workspace, BillingContact]:
    """Validate a billing-details link without acting on it (for the confirmation page)."""
    return _contact_from_token(token)


def billing_details_request(*, token: str, request=None) -> BillingDetailsRequest:
    """Record the billing contact's request; the details and the notice go out after commit."""
    from mailsoftly.teams.tasks import billing_details_send_task

    workspace, contact = _contact_from_token(token)
    with transaction.atomic(using=workspace.database):
        record = BillingDetailsRequest.objects.for_workspace(workspace).create(
            workspace=workspace,
            contact_name=contact.name,
            contact_email=contact.email,
            ip=_client_ip(request) if request is not None else None,
            user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:512],
        )
        transaction.on_commit(
            lambda: billing_details_send_task.delay(
                workspace_id=workspace.pk, request_id=record.pk
            ),
            using=workspace.database,
        )
    audit_record(
        request=request,
        actor=None,
        workspace=workspace,
        action="billing_details.requested",
        target=("teams.billingdetailsrequest", record.pk),
    )
    return record
