"""The campaign's view of contacts: freezing the audience, the send-time re-check, and
marking hard bounces. A thin adapter over :mod:`mailsoftly.contacts`, so the sending
code never depends on how contacts are stored.

Trashed contacts never appear here: the default manager hides them (P27).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus
from mailsoftly.contacts.models import (
    Contact,
    ContactStatus,
    Segment,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

FREEZE_BATCH = 1000


def _members(workspace, list_ids) -> Any:
    return (
        Subscription.objects.for_workspace(workspace)
        .filter(
            contact_list_id__in=list(list_ids),
            contact_list__trashed_at__isnull=True,
            status=SubscriptionStatus.SUBSCRIBED,
        )
        .values("contact_id")
    )


def audience_queryset(*, campaign: Campaign):
    """Every live contact the campaign targets, whatever its status (skips are recorded):
    members of its lists, narrowed by its segment, minus members of the excluded lists
    and contacts matching the excluded segments."""
    contacts = Contact.objects.for_workspace(campaign.workspace)
    if not campaign.list_ids and campaign.segment_id is None:
        return contacts.none()
    if campaign.list_ids:
        contacts = contacts.filter(pk__in=_members(campaign.workspace, campaign.list_ids))
    return _narrowed(contacts, campaign=campaign)


def _narrowed(contacts, *, campaign: Campaign):
    """``contacts`` narrowed by the campaign's segment and exclusions."""
    from mailsoftly.contacts.segments import segment_compile

    workspace = campaign.workspace
    if campaign.segment_id is not None:
        segment = Segment.objects.for_workspace(workspace).filter(pk=campaign.segment_id).first()
        if segment is None:
            return contacts.none()
        contacts = contacts.filter(segment_compile(workspace=workspace, rules=segment.rules))
    if campaign.exclude_list_ids:
        contacts = contacts.exclude(pk__in=_members(workspace, campaign.exclude_list_ids))
    if campaign.exclude_segment_ids:
        # A trashed or deleted excluded segment excludes nobody; its rules are gone.
        for segment in Segment.objects.for_workspace(workspace).filter(
            pk__in=list(campaign.exclude_segment_ids)
        ):
            matching = Contact.objects.for_workspace(workspace).filter(
                segment_compile(workspace=workspace, rules=segment.rules)
            )
            contacts = contacts.exclude(pk__in=matching.values("pk"))
    return contacts


def audience_count(*, campaign: Campaign) -> int:
    return audience_queryset(campaign=campaign).filter(status=ContactStatus.ACTIVE).count()


def _skip_reason(status: str, suppressed: bool) -> str:
    if status != ContactStatus.ACTIVE:
        return str(status)
    return "suppressed" if suppressed else ""


def freeze(*, campaign: Campaign, batch_size: int = FREEZE_BATCH) -> int:
    """Write one Delivery per audience contact, in keyset-paginated batches.

    Idempotent and resumable: unique constraints on (campaign, contact) and (campaign,
    address) make a re-run insert only what is missing, so memory stays flat and a crash
    mid-freeze loses nothing. Returns the number of rows written by this call.
    """
    workspace = campaign.workspace
    suppressed_hashes = Suppression.objects.for_workspace(workspace).values_list(
        "email_hash", flat=True
    )
    written = 0
    for page in _audience_pages(campaign=campaign, batch_size=batch_size):
        suppressed = set(
            suppressed_hashes.filter(email_hash__in=[row[3] for row in page if row[3]])
        )
        rows = []
        for pk, email, email_key, digest, status in page:
            reason = _skip_reason(status, digest in suppressed)
            rows.append(
                Delivery(
                    workspace=workspace,
                    campaign=campaign,
                    contact_id=pk,
                    email=email,
                    email_key=email_key,
                    status=DeliveryStatus.SKIPPED if reason else DeliveryStatus.QUEUED,
                    reason=reason,
                )
            )
        created = Delivery.objects.for_workspace(workspace).bulk_create(rows, ignore_conflicts=True)
        written += len(created)
    return written


AUDIENCE_FIELDS = ("pk", "email", "email_key", "email_hash", "status")


def _audience_pages(*, campaign: Campaign, batch_size: int):
    """The audience's rows (:data:`AUDIENCE_FIELDS`) in contact order, a page at a time.

    A campaign to lists walks the lists' subscriptions by contact id (the
    ``(contact, list)`` unique index) and narrows each page's contacts: each page costs
    the same, where filtering the contacts by "member of the lists" made the database
    rebuild the whole membership for every page (quadratic in the audience). A
    segment-only campaign walks the contacts themselves.
    """
    if not campaign.list_ids:
        contacts = audience_queryset(campaign=campaign).order_by("pk")
        last = 0
        while page := list(contacts.filter(pk__gt=last).values_list(*AUDIENCE_FIELDS)[:batch_size]):
            last = page[-1][0]
            yield page
        return
    members = (
        _members(campaign.workspace, campaign.list_ids)
        .order_by("contact_id")
        .values_list("contact_id", flat=True)
        .distinct()
    )
    contacts = _narrowed(Contact.objects.for_workspace(campaign.workspace), campaign=campaign)
    last = 0
    while ids := list(members.filter(contact_id__gt=last)[:batch_size]):
        last = ids[-1]
        page = list(contacts.filter(pk__in=ids).order_by("pk").values_list(*AUDIENCE_FIELDS))
        if page:
            yield page


def recheck(*, workspace, contact_ids: list[int | None]):
    """Just before sending: merge data for contacts still mailable, reasons for the rest."""
    ids = [pk for pk in contact_ids if pk is not None]
    rows = (
        Contact.all_rows.for_workspace(workspace)
        .filter(pk__in=ids)
        .values(
            "pk", "email", "first_name", "last_name", "fields", "status", "email_hash", "trashed_at"
        )
    )
    found = {row["pk"]: row for row in rows}
    suppressed = set(
        Suppression.objects.for_workspace(workspace)
        .filter(email_hash__in=[row["email_hash"] for row in found.values() if row["email_hash"]])
        .values_list("email_hash", flat=True)
    )
    contacts: dict[int, dict] = {}
    skipped: dict[int | None, str] = {}
    for pk in contact_ids:
        row = found.get(pk) if pk is not None else None
        if row is None:
            skipped[pk] = "contact deleted"
        elif row["trashed_at"] is not None:
            skipped[pk] = "contact in trash"
        elif reason := _skip_reason(row["status"], row["email_hash"] in suppressed):
            skipped[pk] = reason
        else:
            data = {**(row["fields"] or {})}
            data.update(
                email=row["email"], first_name=row["first_name"], last_name=row["last_name"]
            )
            data["name"] = f"{row['first_name']} {row['last_name']}".strip()
            contacts[pk] = data
    return contacts, skipped


def mark_hard_bounced(*, workspace, contact_ids: list[int | None]) -> None:
    """A permanent 5xx for the address: the contact is bounced and suppressed."""
    from mailsoftly.contacts.models import SuppressionReason
    from mailsoftly.contacts.services import suppression_add

    ids = [pk for pk in contact_ids if pk is not None]
    contacts = Contact.objects.for_workspace(workspace).filter(pk__in=ids)
    for email in contacts.values_list("email", flat=True):
        suppression_add(workspace=workspace, email=email, reason=SuppressionReason.BOUNCED)
    contacts.filter(~Q(status=ContactStatus.BOUNCED)).update(status=ContactStatus.BOUNCED)
