"""Reads about contacts. Every function is scoped to one workspace (P02).

``contact_list_for_audience`` is the one door the sending engine uses to pick recipients.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from mailsoftly.contacts.emails import InvalidEmail, email_hash, email_normalize
from mailsoftly.contacts.models import (
    ConsentRecord,
    Contact,
    ContactEvent,
    ContactImport,
    ContactList,
    ContactStatus,
    ContactTag,
    CustomField,
    Segment,
    Subscription,
    SubscriptionStatus,
    Suppression,
    Tag,
)
from mailsoftly.contacts.segments import segment_compile
from mailsoftly.core.tenancy import access_object

# ---------------------------------------------------------------- access helpers (404 alike)


def access_contact(*, workspace, id) -> Contact:
    return access_object(Contact, workspace=workspace, id=id)


def access_contact_list(*, workspace, id) -> ContactList:
    return access_object(ContactList, workspace=workspace, id=id)


def access_segment(*, workspace, id) -> Segment:
    return access_object(Segment, workspace=workspace, id=id)


def access_custom_field(*, workspace, id) -> CustomField:
    return access_object(CustomField, workspace=workspace, id=id)


def access_contact_import(*, workspace, id) -> ContactImport:
    return access_object(ContactImport, workspace=workspace, id=id)


def access_suppression(*, workspace, id) -> Suppression:
    return access_object(Suppression, workspace=workspace, id=id)


# ---------------------------------------------------------------- contacts


def contact_list(
    *,
    workspace,
    search: str = "",
    status: str = "",
    list_id: int | None = None,
    tag: str = "",
    segment: Segment | None = None,
) -> QuerySet[Contact]:
    """The workspace's live contacts, filtered for the contacts page."""
    qs = Contact.objects.for_workspace(workspace)
    search = search.strip()[:200]
    if search:
        # One column holding address and names, lower-cased: on PostgreSQL its trigram
        # index answers the substring match without reading every contact.
        qs = qs.filter(search_text__contains=search.lower())
    if status in ContactStatus.values:
        qs = qs.filter(status=status)
    if list_id:
        qs = qs.filter(pk__in=_list_members(workspace, [list_id]))
    if tag:
        tagged = ContactTag.objects.for_workspace(workspace).filter(
            tag__in=Tag.objects.for_workspace(workspace).filter(name=tag)
        )
        qs = qs.filter(Exists(tagged.filter(contact_id=OuterRef("pk"))))
    if segment is not None:
        qs = qs.filter(segment_compile(workspace=workspace, rules=segment.rules))
    return qs.order_by("-id")


def _list_members(workspace, list_ids: Iterable[int]) -> QuerySet:
    return (
        Subscription.objects.for_workspace(workspace)
        .filter(
            contact_list_id__in=list(list_ids),
            contact_list__trashed_at__isnull=True,
            status=SubscriptionStatus.SUBSCRIBED,
        )
        .values("contact_id")
    )


def contact_list_for_audience(
    *, workspace, list_ids: Iterable[int] = (), segment_id: int | None = None
) -> QuerySet[Contact]:
    """The contacts a campaign to these lists and/or this segment may mail.

    Live (not trashed), status active, subscribed to at least one of the live lists (when
    lists are given), matching the segment (when given), and not on the suppression list.
    With neither lists nor a segment the audience is empty, never "everyone".
    """
    list_ids = [int(i) for i in list_ids]
    qs = Contact.objects.for_workspace(workspace).filter(status=ContactStatus.ACTIVE)
    if not list_ids and segment_id is None:
        return qs.none()
    if list_ids:
        qs = qs.filter(pk__in=_list_members(workspace, list_ids))
    if segment_id is not None:
        segment = Segment.objects.for_workspace(workspace).filter(pk=segment_id).first()
        if segment is None:
            return qs.none()
        qs = qs.filter(segment_compile(workspace=workspace, rules=segment.rules))
    suppressed = Suppression.objects.for_workspace(workspace).values("email_hash")
    return qs.exclude(email_hash__in=suppressed).order_by("pk")


def suppression_contains(*, workspace, email: str) -> bool:
    """Whether ``email`` is suppressed in the workspace (the send-time check)."""
    try:
        _address, key = email_normalize(email)
    except InvalidEmail:
        return True  # an address we cannot even parse is never mailed
    return Suppression.objects.for_workspace(workspace).filter(email_hash=email_hash(key)).exists()


def suppression_list(*, workspace) -> QuerySet[Suppression]:
    return Suppression.objects.for_workspace(workspace)


def contact_timeline(*, contact: Contact, limit: int = 100) -> list[ContactEvent]:
    return list(
        ContactEvent.objects.for_workspace(contact.workspace).filter(contact=contact)[:limit]
    )


def contact_consents(*, contact: Contact) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.for_workspace(contact.workspace).filter(contact=contact)


def contact_subscriptions(*, contact: Contact) -> QuerySet[Subscription]:
    return (
        Subscription.objects.for_workspace(contact.workspace)
        .filter(contact=contact, contact_list__trashed_at__isnull=True)
        .select_related("contact_list")
    )


def contact_tag_names(*, contact: Contact) -> list[str]:
    return list(
        Tag.objects.for_workspace(contact.workspace)
        .filter(contact_links__contact=contact)
        .values_list("name", flat=True)
    )


def contact_count(*, workspace) -> int:
    return Contact.objects.for_workspace(workspace).count()


# ---------------------------------------------------------------- lists, fields, segments


def contact_list_list(*, workspace) -> QuerySet[ContactList]:
    """Lists with their subscribed (live contact) count."""
    return ContactList.objects.for_workspace(workspace).annotate(
        subscriber_count=Count(
            "subscriptions",
            filter=Q(
                subscriptions__status=SubscriptionStatus.SUBSCRIBED,
                subscriptions__contact__trashed_at__isnull=True,
            ),
        )
    )


def contact_list_by_form_key(*, form_key) -> ContactList | None:
    """The list behind a public form key, searching each region (the key is global)."""
    from mailsoftly.core.regions import REGION_DATABASES

    for region in REGION_DATABASES:
        found = (
            ContactList.objects.dangerously_all_workspaces(region)
            .filter(form_key=form_key)
            .select_related(None)
            .first()
        )
        if found is not None:
            return found
    return None


def custom_field_list(*, workspace) -> QuerySet[CustomField]:
    return CustomField.objects.for_workspace(workspace)


def segment_list(*, workspace) -> QuerySet[Segment]:
    return Segment.objects.for_workspace(workspace)


def segment_count(*, workspace, rules) -> int:
    """Live contacts matching ``rules`` (SegmentError for bad rules)."""
    return (
        Contact.objects.for_workspace(workspace)
        .filter(segment_compile(workspace=workspace, rules=rules))
        .count()
    )


def tag_list(*, workspace) -> QuerySet[Tag]:
    return Tag.objects.for_workspace(workspace)


def contact_import_list(*, workspace) -> QuerySet[ContactImport]:
    return ContactImport.objects.for_workspace(workspace)
