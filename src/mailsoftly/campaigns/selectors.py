"""Reads of the campaigns app (and the thin adapters to contacts and designs it needs)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from mailsoftly.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
)
from mailsoftly.core.tenancy import access_object


def campaign_list(*, workspace) -> QuerySet[Campaign]:
    """The workspace's campaigns (transactional streams are listed apart)."""
    return (
        Campaign.objects.for_workspace(workspace)
        .filter(kind=CampaignKind.REGULAR)
        .select_related(None)
    )


def transactional_stream_list(*, workspace) -> QuerySet[Campaign]:
    return Campaign.objects.for_workspace(workspace).filter(kind=CampaignKind.TRANSACTIONAL)


def access_campaign(*, workspace, id) -> Campaign:
    campaign = access_object(Campaign, workspace=workspace, id=id)
    campaign.workspace = workspace
    return campaign


def access_transactional_delivery(*, workspace, id) -> Delivery:
    """One transactional message of the workspace (404 for missing and not-yours)."""
    delivery = access_object(Delivery, workspace=workspace, id=id, idempotency_key__isnull=False)
    delivery.campaign = access_campaign(workspace=workspace, id=delivery.campaign_id)
    return delivery


def campaign_status_counts(*, workspace) -> dict[str, int]:
    rows = (
        Campaign.objects.for_workspace(workspace)
        .filter(kind=CampaignKind.REGULAR)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {status: n for status, n in rows}


def delivery_reason_counts(*, campaign: Campaign) -> list[dict]:
    """Why recipients were skipped, failed or bounced: reason and how many."""
    return list(
        Delivery.objects.for_workspace(campaign.workspace)
        .filter(
            campaign=campaign,
            status__in=(DeliveryStatus.SKIPPED, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED),
        )
        .order_by()
        .values("status", "reason")
        .annotate(n=Count("id"))
        .order_by("-n")[:50]
    )


def delivery_list(*, campaign: Campaign) -> QuerySet[Delivery]:
    return Delivery.objects.for_workspace(campaign.workspace).filter(campaign=campaign)


def design_choices(*, workspace):
    from mailsoftly.designs.models import Design

    return Design.objects.for_workspace(workspace).order_by("name", "id")


def list_choices(*, workspace) -> list[tuple[int, str]]:
    from mailsoftly.contacts.models import ContactList

    return list(ContactList.objects.for_workspace(workspace).values_list("id", "name"))


def segment_choices(*, workspace) -> list[tuple[int, str]]:
    from mailsoftly.contacts.models import Segment

    return list(Segment.objects.for_workspace(workspace).values_list("id", "name"))


def active_statuses() -> tuple[str, ...]:
    return (CampaignStatus.SENDING, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED)
