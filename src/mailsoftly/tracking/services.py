"""Writes of the tracking app: turning raw events into stored events and counters."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.dateparse import parse_datetime

from mailsoftly.core import clock
from mailsoftly.core.regions import REGION_DATABASES, Region
from mailsoftly.tracking import machines
from mailsoftly.tracking.models import (
    CampaignActivity,
    CampaignStats,
    Engagement,
    Event,
    EventKind,
    Link,
    TrackingSettings,
)

_KINDS = set(EventKind.values)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def link_get_or_create(*, campaign, url: str, is_honeypot: bool = False) -> Link:
    digest = url_hash(url)
    links = Link.objects.for_workspace(campaign.workspace)
    link = links.filter(campaign=campaign, url_hash=digest).first()
    if link is not None:
        return link
    try:
        with transaction.atomic(using=campaign.workspace.database):
            return links.create(
                workspace=campaign.workspace,
                campaign=campaign,
                url=url,
                url_hash=digest,
                is_honeypot=is_honeypot,
            )
    except IntegrityError:
        return links.get(campaign=campaign, url_hash=digest)


def tracking_settings_get(*, workspace) -> TrackingSettings:
    found = TrackingSettings.objects.for_workspace(workspace).first()
    return found or TrackingSettings(workspace=workspace)


def tracking_settings_update(*, workspace, **fields) -> TrackingSettings:
    """Change a workspace's tracking switch or interest thresholds."""
    with transaction.atomic(using=workspace.database):
        current, _ = TrackingSettings.objects.for_workspace(workspace).get_or_create(
            workspace=workspace
        )
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
    return current


def _parse_at(raw) -> datetime:
    at = parse_datetime(raw) if isinstance(raw, str) else None
    return at or clock.now()


def _valid(event: dict) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("key"), str)
        and 0 < len(event["key"]) <= 64
        and event.get("kind") in _KINDS
        and event.get("region") in Region.values
        and isinstance(event.get("delivery_id"), int)
    )


def events_ingest(*, events: list[dict]) -> int:
    """Store raw events and update counters; idempotent by event key. Returns new events."""
    by_region: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        if _valid(event):
            by_region[event["region"]].append(event)
    stored = 0
    for region, batch in by_region.items():
        stored += _ingest_region(region, batch)
    return stored


def _ingest_region(region: str, batch: list[dict]) -> int:
    from mailsoftly.campaigns.models import Delivery

    database = REGION_DATABASES[Region(region)]
    keys = [event["key"] for event in batch]
    seen = set(
        Event.objects.dangerously_all_workspaces(region)
        .filter(key__in=keys)
        .values_list("key", flat=True)
    )
    fresh = [event for event in batch if event["key"] not in seen]
    if not fresh:
        return 0
    deliveries = {
        d.pk: d
        for d in Delivery.objects.dangerously_all_workspaces(region)
        .filter(pk__in={event["delivery_id"] for event in fresh})
        .select_related("campaign", "campaign__design")
    }
    stored = 0
    with transaction.atomic(using=database):
        for event in fresh:
            delivery = deliveries.get(event["delivery_id"])
            if delivery is None:
                continue
            if _ingest_one(database, delivery, event):
                stored += 1
    return stored


def _collects_ip(campaign) -> bool:
    design = getattr(campaign, "design", None)
    return bool(design is not None and design.collect_ip_addresses)


def _ingest_one(database: str, delivery, event: dict) -> bool:
    campaign = delivery.campaign
    at = _parse_at(event.get("at"))
    kind = event["kind"]
    ip = event.get("ip") or None
    agent = (event.get("ua") or "")[:512]
    link = None
    reason = ""
    if kind == EventKind.OPEN:
        reason = machines.open_reason(ip=ip, user_agent=agent)
    elif kind == EventKind.CLICK:
        link = (
            Link.objects.using(database)
            .filter(pk=event.get("link_id"), campaign_id=campaign.pk)
            .first()
        )
        if link is None:
            return False
        recent = (
            Event.objects.using(database)
            .filter(
                delivery=delivery,
                kind=EventKind.CLICK,
                occurred_at__gte=at - timedelta(seconds=machines.BURST_SECONDS),
            )
            .exclude(link=link)
            .values("link")
            .distinct()
            .count()
        )
        reason = machines.click_reason(
            user_agent=agent,
            is_honeypot=link.is_honeypot,
            occurred_at=at,
            sent_at=delivery.sent_at,
            recent_other_links=recent,
        )
    keep_identity = _collects_ip(campaign)
    try:
        with transaction.atomic(using=database):
            Event.objects.using(database).create(
                workspace_id=delivery.workspace_id,
                key=event["key"],
                kind=kind,
                campaign=campaign,
                delivery=delivery,
                link=link,
                occurred_at=at,
                is_machine=bool(reason),
                machine_reason=reason,
                ip=ip if keep_identity else None,
                user_agent=agent if keep_identity else "",
            )
    except IntegrityError:
        return False  # the same event arrived twice: stored once
    _count(database, delivery, kind, link, at, machine=bool(reason), event=event)
    return True


def _count(database, delivery, kind, link, at, *, machine: bool, event: dict) -> None:
    campaign = delivery.campaign
    stats, _ = CampaignStats.objects.using(database).get_or_create(
        campaign=campaign, defaults={"workspace_id": delivery.workspace_id}
    )
    stats_updates: dict = {}
    if kind == EventKind.UNSUBSCRIBE:
        stats_updates["unsubscribes"] = F("unsubscribes") + 1
    elif kind == EventKind.COMPLAINT:
        stats_updates["complaints"] = F("complaints") + 1
    elif kind == EventKind.BOUNCE:
        field = "hard_bounces" if event.get("bounce_type") == "hard" else "soft_bounces"
        stats_updates[field] = F(field) + 1
    elif kind in (EventKind.OPEN, EventKind.CLICK):
        engagement, _ = (
            Engagement.objects.using(database)
            .select_for_update()
            .get_or_create(
                delivery=delivery,
                defaults={
                    "workspace_id": delivery.workspace_id,
                    "campaign": campaign,
                    "contact_id": delivery.contact_id,
                },
            )
        )
        _count_engagement(database, engagement, stats_updates, kind, link, at, machine)
    if stats_updates:
        CampaignStats.objects.using(database).filter(pk=stats.pk).update(**stats_updates)


def _count_engagement(database, engagement, stats_updates, kind, link, at, machine) -> None:
    settings = (
        TrackingSettings.objects.using(database)
        .filter(workspace_id=engagement.workspace_id)
        .first()
        or TrackingSettings()
    )
    is_open = kind == EventKind.OPEN
    if machine:
        field = "machine_opens" if is_open else "machine_clicks"
        setattr(engagement, field, getattr(engagement, field) + 1)
        stats_updates[field] = F(field) + 1
        if link is not None:
            Link.objects.using(database).filter(pk=link.pk).update(
                machine_clicks=F("machine_clicks") + 1
            )
        engagement.save(using=database)
        return
    was_interested, was_very = engagement.interested, engagement.very_interested
    if is_open:
        if engagement.opens == 0:
            stats_updates["unique_opens"] = F("unique_opens") + 1
            engagement.first_open_at = at
        engagement.opens += 1
        stats_updates["opens"] = F("opens") + 1
    else:
        if engagement.clicks == 0:
            stats_updates["unique_clicks"] = F("unique_clicks") + 1
            engagement.first_click_at = at
        engagement.clicks += 1
        stats_updates["clicks"] = F("clicks") + 1
        link_updates = {"clicks": F("clicks") + 1}
        if link.pk not in engagement.links_clicked:
            engagement.links_clicked = [*engagement.links_clicked, link.pk]
            link_updates["unique_clicks"] = F("unique_clicks") + 1
        Link.objects.using(database).filter(pk=link.pk).update(**link_updates)
    engagement.interested = engagement.opens > 0 or engagement.clicks > 0
    engagement.very_interested = (
        engagement.opens >= settings.very_interested_opens
        or len(engagement.links_clicked) >= settings.very_interested_links
    )
    if engagement.interested and not was_interested:
        stats_updates["interested"] = F("interested") + 1
    if engagement.very_interested and not was_very:
        stats_updates["very_interested"] = F("very_interested") + 1
    engagement.save(using=database)
    hour = at.replace(minute=0, second=0, microsecond=0)
    activity, _ = CampaignActivity.objects.using(database).get_or_create(
        campaign_id=engagement.campaign_id,
        hour=hour,
        defaults={"workspace_id": engagement.workspace_id},
    )
    field = "opens" if is_open else "clicks"
    CampaignActivity.objects.using(database).filter(pk=activity.pk).update(**{field: F(field) + 1})
