"""Public subscription forms and double opt-in (P39, P03).

A hosted form per public list shows the consent text the workspace wrote. What the person
saw is what we store: the form carries a hash of the text it showed, and if the list's text
changed in between, the person is shown the new text instead of being subscribed under it.
Each submission stores a ConsentRecord with the text, time, IP and form URL.

The confirmation mail of double opt-in is the *workspace's* mail to its own contact, not
platform mail: it goes through the same outbound mail connection but carries the
workspace's name as sender name and ``X-Mailsoftly-Workspace`` / ``X-Mailsoftly-Kind``
headers, so sending and reporting can attribute it. It is never sent to a suppressed
address, and it is sent only after the subscription row commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils.translation import gettext as _

from mailsoftly.billing.errors import LimitExceeded
from mailsoftly.contacts.emails import InvalidEmail, email_hash, email_normalize
from mailsoftly.contacts.models import (
    ConsentSource,
    Contact,
    ContactList,
    ListVisibility,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from mailsoftly.contacts.services import (
    consent_record_create,
    contact_create,
    contact_event_record,
    contact_subscribe,
)
from mailsoftly.core import clock

CONFIRM_SALT = "mailsoftly.contacts.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600


class SubscribeRefused(ValueError):
    """The submission cannot be accepted; the message is for the visitor."""


def consent_text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def confirm_token(*, subscription: Subscription) -> str:
    return signing.dumps(
        {"w": subscription.workspace_id, "s": subscription.pk}, salt=CONFIRM_SALT, compress=True
    )


def confirm_token_read(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        return int(data["w"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class SubscribeResult:
    needs_confirmation: bool


def subscription_form_submit(
    *,
    contact_list: ContactList,
    email: str,
    first_name: str = "",
    last_name: str = "",
    shown_text_hash: str,
    ip_address: str | None,
    form_url: str,
    confirm_url_for,
) -> SubscribeResult:
    """Record a form subscription and, for double opt-in, queue the confirmation mail.

    ``confirm_url_for(token)`` builds the absolute confirmation link.
    """
    if contact_list.visibility != ListVisibility.PUBLIC or contact_list.is_trashed:
        raise SubscribeRefused(_("This list does not accept subscriptions."))
    if shown_text_hash != consent_text_hash(contact_list.consent_text):
        raise SubscribeRefused(_("The terms of this list changed. Please read them again."))
    try:
        address, key = email_normalize(email)
    except InvalidEmail as exc:
        raise SubscribeRefused(str(exc)) from None
    workspace = contact_list.workspace
    status = (
        SubscriptionStatus.UNCONFIRMED
        if contact_list.double_opt_in
        else SubscriptionStatus.SUBSCRIBED
    )
    consent = {
        "consent_text": contact_list.consent_text,
        "location": form_url,
        "ip_address": ip_address,
    }
    with transaction.atomic(using=workspace.database):
        contact = Contact.objects.for_workspace(workspace).filter(email_key=key).first()
        if contact is None:
            try:
                contact = contact_create(
                    workspace=workspace,
                    email=address,
                    first_name=first_name,
                    last_name=last_name,
                    consent=consent,
                    source=ConsentSource.FORM,
                )
            except LimitExceeded:
                # The plan's contact limit: the public is not told about the owner's plan.
                raise SubscribeRefused(
                    _("This list cannot take new subscribers right now. Please try again later.")
                ) from None
            # contact_create recorded consent without the list; attach it.
            contact.consents.update(contact_list=contact_list)
        else:
            consent_record_create(
                contact=contact,
                source=ConsentSource.FORM,
                contact_list=contact_list,
                **consent,
            )
        existing = (
            Subscription.objects.for_workspace(workspace)
            .filter(contact=contact, contact_list=contact_list)
            .first()
        )
        if existing is not None and existing.status == SubscriptionStatus.SUBSCRIBED:
            return SubscribeResult(needs_confirmation=False)
        subscription = contact_subscribe(contact=contact, contact_list=contact_list, status=status)
        suppressed = (
            Suppression.objects.for_workspace(workspace).filter(email_hash=email_hash(key)).exists()
        )
        if status == SubscriptionStatus.UNCONFIRMED and not suppressed:
            from mailsoftly.contacts.tasks import subscription_confirmation_send_task

            link = confirm_url_for(confirm_token(subscription=subscription))
            workspace_id, subscription_id = workspace.pk, subscription.pk
            transaction.on_commit(
                lambda: subscription_confirmation_send_task.delay(
                    workspace_id=workspace_id, subscription_id=subscription_id, link=link
                ),
                using=workspace.database,
            )
    return SubscribeResult(needs_confirmation=status == SubscriptionStatus.UNCONFIRMED)


def subscription_confirm(
    *, workspace, subscription_id: int, ip_address: str | None
) -> Subscription | None:
    """Confirm a double opt-in subscription (idempotent). None if it no longer exists."""
    subscription = (
        Subscription.objects.for_workspace(workspace)
        .select_related("contact", "contact_list")
        .filter(pk=subscription_id, contact__trashed_at__isnull=True)
        .first()
    )
    if subscription is None:
        return None
    if subscription.status == SubscriptionStatus.UNCONFIRMED:
        with transaction.atomic(using=workspace.database):
            subscription.status = SubscriptionStatus.SUBSCRIBED
            subscription.confirmed_at = clock.now()
            subscription.save(update_fields=["status", "confirmed_at", "updated_at"])
            consent = subscription.contact.consents.filter(
                contact_list=subscription.contact_list
            ).first()
            if consent is not None:
                consent.details = {
                    **consent.details,
                    "confirmed_at": subscription.confirmed_at.isoformat(),
                    "confirmed_ip": ip_address,
                }
                consent.save(update_fields=["details", "updated_at"])
            contact_event_record(
                contact=subscription.contact,
                kind="list_confirmed",
                data={"list_id": subscription.contact_list_id},
            )
    return subscription


def subscription_confirmation_send(*, workspace, subscription_id: int, link: str) -> int:
    """Send the double opt-in mail for one unconfirmed subscription (idempotent enough:
    a confirmed or vanished subscription gets nothing)."""
    subscription = (
        Subscription.objects.for_workspace(workspace)
        .select_related("contact", "contact_list")
        .filter(pk=subscription_id, status=SubscriptionStatus.UNCONFIRMED)
        .first()
    )
    if subscription is None or subscription.contact.is_trashed:
        return 0
    contact, contact_list = subscription.contact, subscription.contact_list
    subject = _("Please confirm your subscription to %(list)s") % {"list": contact_list.name}
    text = _(
        "You (or someone using your address) asked to subscribe to “%(list)s” from "
        "%(workspace)s.\n\nConfirm here: %(link)s\n\nIf this was not you, ignore this mail "
        "and you will not hear from us again."
    ) % {"list": contact_list.name, "workspace": workspace.name, "link": link}
    sender_name = workspace.name.replace('"', "").replace("\n", " ")[:80]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=f'"{sender_name}" <{settings.DEFAULT_FROM_EMAIL.split("<")[-1].rstrip(">")}>',
        to=[contact.email],
        headers={
            "X-Mailsoftly-Workspace": str(workspace.pk),
            "X-Mailsoftly-Kind": "subscription-confirmation",
        },
    )
    return message.send()
