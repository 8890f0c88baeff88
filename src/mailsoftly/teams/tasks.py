"""Scheduled and queued jobs of the teams app. Each takes ids and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.core import clock
from mailsoftly.core.mail import platform_mail_send
from mailsoftly.teams import selectors
from mailsoftly.teams.models import BillingDetailsRequest, Workspace


@shared_task(name="teams.member_purge_expired")
def member_purge_expired_task() -> int:
    """Daily: delete memberships removed more than 30 days ago (policy P30)."""
    from mailsoftly.teams.services import member_purge_expired

    return member_purge_expired()


@shared_task(
    name="teams.billing_details_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def billing_details_send_task(*, workspace_id: int, request_id: int) -> bool:
    """Email the account's details to the billing contact and notify the Primary Admin."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return False
    rows = BillingDetailsRequest.objects.for_workspace(workspace)
    record = rows.filter(pk=request_id).first()
    if record is None:
        return False
    details = selectors.account_details(workspace=workspace)
    if record.disclosed_at is None:
        lines = "\n".join(f"{label}: {value}" for label, value in details)
        platform_mail_send(
            to=[record.contact_email],
            subject=_("Account details for %(workspace)s") % {"workspace": workspace.name},
            text=_(
                "Hello %(name)s,\n\nAs you asked, here are the details of the Mailsoftly "
                "account you are the billing contact for:\n\n%(lines)s\n\nThe account holder "
                "has been told about your request.\n"
            )
            % {"name": record.contact_name, "lines": lines},
        )
        with transaction.atomic(using=workspace.database):
            rows.filter(pk=record.pk).update(disclosed_at=clock.now())
    if record.holder_notified_at is None:
        primary = selectors.primary_admin_get(workspace=workspace)
        if primary is not None and primary.user.email:
            platform_mail_send(
                to=[primary.user.email],
                subject=_("Your billing contact asked for the account details"),
                text=_(
                    "%(name)s <%(email)s>, the billing contact of “%(workspace)s”, asked for "
                    "the account's details on %(when)s. We emailed them the details.\n\nYou "
                    "can change the billing contact under Settings."
                )
                % {
                    "name": record.contact_name,
                    "email": record.contact_email,
                    "workspace": workspace.name,
                    "when": record.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                },
            )
        with transaction.atomic(using=workspace.database):
            rows.filter(pk=record.pk).update(holder_notified_at=clock.now())
    return True
