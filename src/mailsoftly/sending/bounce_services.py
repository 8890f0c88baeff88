"""Acting on bounces and complaints: ``bounce_process(raw=...)``.

A parsed bounce (:mod:`mailsoftly.sending.bounces`) is matched to its delivery through our
own header or Message-ID, or else through the recipient's latest delivery. Then:

- hard bounce: delivery bounced, contact bounced and suppressed;
- soft bounce: delivery bounced; the address is suppressed once its last
  ``BOUNCES_SOFT_LIMIT`` (default 3) deliveries all soft-bounced;
- complaint: contact unsubscribed from everything, marked complained and suppressed.

Each is recorded once (keyed by the bounce's Message-ID) and becomes a tracking event.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mailsoftly.campaigns.models import Delivery, DeliveryStatus
from mailsoftly.contacts.emails import InvalidEmail, email_normalize
from mailsoftly.core.regions import REGION_DATABASES, Region
from mailsoftly.sending import bounces
from mailsoftly.sending.models import BounceRecord

PROCESSED, DUPLICATE, UNMATCHED, IGNORED = "processed", "duplicate", "unmatched", "ignored"


@dataclass
class Outcome:
    bounce: bounces.Bounce
    action: str
    delivery_id: int | None = None
    region: str | None = None
    suppressed: bool = False


def _soft_limit() -> int:
    return max(1, int(getattr(settings, "BOUNCES_SOFT_LIMIT", 3)))


def _key(raw: bytes, bounce: bounces.Bounce) -> str:
    source = bounce.message_id.encode() if bounce.message_id else raw
    return hashlib.sha256(source).hexdigest()


def _email_key(address: str) -> str:
    try:
        return email_normalize(address)[1]
    except (InvalidEmail, ValueError):
        return address.strip().lower()


def _find_delivery(bounce: bounces.Bounce) -> Delivery | None:
    """Our own reference first; else the recipient's most recent delivery in any region."""
    if bounce.delivery_id and bounce.region in Region.values:
        # The region our reference names first, then the others: after a region move the
        # delivery lives on under the same id (each region numbers in its own id band).
        found = None
        for region in (bounce.region, *(r for r in Region.values if r != bounce.region)):
            found = (
                Delivery.objects.dangerously_all_workspaces(region)
                .filter(pk=bounce.delivery_id)
                .first()
            )
            if found is not None:
                break
        if found is not None and (
            not bounce.recipients or found.email_key in {_email_key(r) for r in bounce.recipients}
        ):
            return found
        if found is not None and bounce.kind == bounces.COMPLAINT:
            return found  # ARF reports often redact the recipient
    latest = None
    for recipient in bounce.recipients[:1]:
        key = _email_key(recipient)
        for region in Region.values:
            candidate = (
                Delivery.objects.dangerously_all_workspaces(region)
                .filter(email_key=key, status__in=(DeliveryStatus.SENT, DeliveryStatus.BOUNCED))
                .exclude(sent_at=None)
                .order_by("-sent_at", "-id")
                .first()
            )
            if candidate is not None and (latest is None or candidate.sent_at > latest.sent_at):
                latest = candidate
    return latest


def bounce_process(*, raw: bytes, workspace_id: int | None = None) -> Outcome:
    """Parse one inbound message and apply it. Running it twice changes nothing more.

    ``workspace_id`` (a workspace's own bounce hook) limits it to that workspace's
    deliveries: a bounce naming another workspace's delivery is left unmatched.
    """
    from mailsoftly.teams.models import Workspace

    bounce = bounces.parse(raw)
    if not bounce.is_bounce:
        return Outcome(bounce=bounce, action=IGNORED)
    delivery = _find_delivery(bounce)
    if delivery is None or (workspace_id is not None and delivery.workspace_id != workspace_id):
        return Outcome(bounce=bounce, action=UNMATCHED)
    region = next(r for r, db in REGION_DATABASES.items() if db == delivery._state.db)
    workspace = Workspace.objects.get(pk=delivery.workspace_id)
    delivery.workspace = workspace
    outcome = Outcome(bounce=bounce, action=PROCESSED, delivery_id=delivery.pk, region=str(region))
    key = _key(raw, bounce)
    try:
        with transaction.atomic(using=workspace.database):
            BounceRecord.objects.for_workspace(workspace).create(
                workspace=workspace,
                key=key,
                delivery=delivery,
                email_key=delivery.email_key,
                kind=bounce.kind,
                status=bounce.status[:16],
                smtp_code=bounce.smtp_code
                if bounce.smtp_code and bounce.smtp_code < 1000
                else None,
                diagnostic=bounce.diagnostic[:500],
            )
            outcome.suppressed = _apply(workspace, delivery, bounce)
            _emit_webhook(workspace, delivery, bounce)
    except IntegrityError:
        outcome.action = DUPLICATE
        return outcome
    _record_event(key=key, region=str(region), delivery_id=delivery.pk, bounce=bounce)
    _pause_if_over_rates(workspace, delivery.campaign_id)
    return outcome


def _emit_webhook(workspace, delivery: Delivery, bounce: bounces.Bounce) -> None:
    """``contact.complained`` or ``contact.bounced`` (hard or soft), with the bounce's class."""
    from mailsoftly.webhooks.services import webhook_emit

    complaint = bounce.kind == bounces.COMPLAINT
    webhook_emit(
        workspace=workspace,
        event="contact.complained" if complaint else "contact.bounced",
        data={
            "contact": {"id": delivery.contact_id, "email": delivery.email},
            "delivery": {"id": delivery.pk, "campaign_id": delivery.campaign_id},
            "kind": bounce.kind,
            "status": bounce.status[:16],
        },
    )


def _pause_if_over_rates(workspace, campaign_id: int) -> None:
    """A sending campaign pauses itself once its bounce rate passes
    ``BOUNCES_PAUSE_RATE`` (5 %) or its complaint rate ``COMPLAINTS_PAUSE_RATE`` (0.3 %),
    counted over messages that left us, after ``BOUNCES_PAUSE_MIN_SENT`` (100) of them."""
    from django.utils.translation import gettext as _

    from mailsoftly.campaigns.models import Campaign, CampaignStatus
    from mailsoftly.campaigns.services import campaign_pause

    campaign = (
        Campaign.objects.for_workspace(workspace)
        .filter(pk=campaign_id, status=CampaignStatus.SENDING)
        .first()
    )
    if campaign is None:
        return
    out = campaign.sent_count + campaign.bounced_count
    if out < max(1, int(getattr(settings, "BOUNCES_PAUSE_MIN_SENT", 100))):
        return
    complaints = (
        BounceRecord.objects.for_workspace(workspace)
        .filter(delivery__campaign_id=campaign_id, kind=bounces.COMPLAINT)
        .count()
    )
    bounce_rate = campaign.bounced_count / out
    complaint_rate = complaints / out
    reason = ""
    if bounce_rate > float(getattr(settings, "BOUNCES_PAUSE_RATE", 0.05)):
        reason = _("Paused automatically: %(rate).1f%% of its messages bounced.") % {
            "rate": 100 * bounce_rate
        }
    elif complaint_rate > float(getattr(settings, "COMPLAINTS_PAUSE_RATE", 0.003)):
        reason = _("Paused automatically: %(rate).1f%% of its recipients complained.") % {
            "rate": 100 * complaint_rate
        }
    if reason:
        campaign.workspace = workspace
        with contextlib.suppress(ValidationError):  # it stopped sending meanwhile
            campaign_pause(campaign=campaign, reason=reason)


def _apply(workspace, delivery: Delivery, bounce: bounces.Bounce) -> bool:
    from mailsoftly.campaigns.services import delivery_bounce
    from mailsoftly.contacts.models import Contact, ContactStatus, SuppressionReason
    from mailsoftly.contacts.services import (
        contact_unsubscribe_all,
        contact_update,
        suppression_add,
    )

    contact = None
    if delivery.contact_id is not None:
        contact = Contact.objects.for_workspace(workspace).filter(pk=delivery.contact_id).first()
        if contact is not None:
            contact.workspace = workspace
    email = contact.email if contact is not None else delivery.email

    if bounce.kind == bounces.COMPLAINT:
        suppression_add(workspace=workspace, email=email, reason=SuppressionReason.COMPLAINED)
        if contact is not None:
            contact_unsubscribe_all(contact=contact)
            contact_update(contact=contact, status=ContactStatus.COMPLAINED)
        return True

    reason = f"{bounce.kind} bounce {bounce.status} {bounce.diagnostic}".strip()
    delivery_bounce(delivery=delivery, reason=" ".join(reason.split()), smtp_code=bounce.smtp_code)
    if bounce.kind == bounces.SOFT and not _soft_limit_reached(workspace, delivery):
        return False
    suppression_add(workspace=workspace, email=email, reason=SuppressionReason.BOUNCED)
    if contact is not None and contact.status == ContactStatus.ACTIVE:
        contact_update(contact=contact, status=ContactStatus.BOUNCED)
    return True


def _soft_limit_reached(workspace, delivery: Delivery) -> bool:
    """The address's last N deliveries all came back as soft bounces."""
    limit = _soft_limit()
    recent = list(
        Delivery.objects.for_workspace(workspace)
        .filter(
            email_key=delivery.email_key,
            status__in=(DeliveryStatus.SENT, DeliveryStatus.BOUNCED),
        )
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    if len(recent) < limit:
        return False
    soft = (
        BounceRecord.objects.for_workspace(workspace)
        .filter(delivery_id__in=recent, kind=bounces.SOFT)
        .values_list("delivery_id", flat=True)
        .distinct()
    )
    return len(set(soft)) == limit


def _record_event(*, key: str, region: str, delivery_id: int, bounce: bounces.Bounce) -> None:
    from mailsoftly.tracking import recorder
    from mailsoftly.tracking.services import events_ingest

    fields = {"kind": "complaint" if bounce.kind == bounces.COMPLAINT else "bounce"}
    if bounce.kind != bounces.COMPLAINT:
        fields["bounce_type"] = bounce.kind
    event = recorder.new_event(region=region, delivery_id=delivery_id, **fields)
    event["key"] = key  # the same bounce is one event, however often it is read
    # Bounces arrive through a worker or the CLI, never on a hot request path: store the
    # event at once rather than through the open/click buffer.
    events_ingest(events=[event])
