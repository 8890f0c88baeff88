"""Transactional billing mail (policy P18: always sent, no opt-out).

Payment trouble goes to the billing contact (teams app, policy P21) and the Primary Admin;
invoices go to the billing contact, or to the billing profile's address where no contact
has been named. Queued after commit through ``platform_mail_enqueue``.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from mailsoftly.billing import selectors
from mailsoftly.billing.models import Invoice
from mailsoftly.core.mail import platform_mail_enqueue


def _billing_url() -> str:
    return settings.BASE_URL + reverse("billing:plan")


def _recipients(workspace, *, include_admin: bool) -> list[str]:
    addresses: list[str] = []
    contact = selectors.billing_contact_get(workspace=workspace)
    if contact is not None and contact.email:
        addresses.append(contact.email)
    else:
        profile = selectors.billing_profile_get(workspace=workspace)
        if profile is not None and profile.email:
            addresses.append(profile.email)
    if include_admin or not addresses:
        admin = selectors.primary_admin_email(workspace=workspace)
        if admin:
            addresses.append(admin)
    seen: set[str] = set()
    return [a for a in addresses if not (a.lower() in seen or seen.add(a.lower()))]


def _send(workspace, *, subject: str, text: str, include_admin: bool = True) -> None:
    to = _recipients(workspace, include_admin=include_admin)
    if to:
        platform_mail_enqueue(to=to, subject=subject, text=text)


def notice_payment_failed(*, workspace, plan_name: str, grace_until) -> None:
    _send(
        workspace,
        subject=_("Payment failed for %(workspace)s") % {"workspace": workspace.name},
        text=_(
            "We could not collect the payment for the %(plan)s plan of the Mailsoftly "
            "workspace %(workspace)s.\n\nPlease update the payment method by "
            "%(date)s. After that date the workspace moves to the Free plan. No data is "
            "deleted, but whatever is over the Free plan's limits is blocked until you make "
            "room or subscribe again.\n\n%(url)s\n"
        )
        % {
            "plan": plan_name,
            "workspace": workspace.name,
            "date": formats.date_format(grace_until, "DATE_FORMAT"),
            "url": _billing_url(),
        },
    )


def notice_payment_recovered(*, workspace, plan_name: str) -> None:
    _send(
        workspace,
        subject=_("Payment received for %(workspace)s") % {"workspace": workspace.name},
        text=_(
            "Thank you: the payment for the %(plan)s plan of %(workspace)s went through, and "
            "the plan continues as before.\n\n%(url)s\n"
        )
        % {"plan": plan_name, "workspace": workspace.name, "url": _billing_url()},
    )


def notice_downgraded(*, workspace, reason: str) -> None:
    _send(
        workspace,
        subject=_("%(workspace)s is now on the Free plan") % {"workspace": workspace.name},
        text=_(
            "%(reason)s\n\nThe workspace %(workspace)s is now on the Free plan. Nothing has "
            "been deleted; what is over the Free plan's limits is blocked until you make room "
            "or choose a plan again.\n\n%(url)s\n"
        )
        % {"reason": reason, "workspace": workspace.name, "url": _billing_url()},
    )


def notice_invoice(*, workspace, invoice: Invoice) -> None:
    amount = formats.number_format(invoice.amount_cents / 100, 2)
    _send(
        workspace,
        include_admin=False,
        subject=_("Invoice %(number)s for %(workspace)s")
        % {"number": invoice.number or invoice.invoice_id, "workspace": workspace.name},
        text=_(
            "Invoice %(number)s for the Mailsoftly workspace %(workspace)s: %(amount)s "
            "%(currency)s, paid.\n\nAll invoices can be downloaded here:\n%(url)s\n"
        )
        % {
            "number": invoice.number or invoice.invoice_id,
            "workspace": workspace.name,
            "amount": amount,
            "currency": invoice.currency.upper(),
            "url": settings.BASE_URL + reverse("billing:invoices"),
        },
    )
