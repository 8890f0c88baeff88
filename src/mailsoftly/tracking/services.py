"""Writes of the tracking app: turning raw events into stored events and counters."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.dateparse import parse_datetime

from mailsoftly.core import clock
from mailsoftly.core.regions import REGION_DATABASES, Region, WorkspaceReadOnly, check_writable
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
_ENGAGEMENT_FIELDS = [
    "opens",
    "clicks",
    "machine_opens",
    "machine_clicks",
    "links_clicked",
    "first_open_at",
    "first_click_at",
    "interested",
    "very_interested",
]


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


def events_ingest(*, events: list[dict], held: set[str] | None = None) -> int:
    """Store raw events and update counters; idempotent by event key. Returns new events.

    Events of a workspace that is moving region wait, and only they: the rest of the
    batch is stored. Their keys are added to ``held`` (the drain leaves those entries
    pending, to be claimed again once the move lands); without ``held`` they are refused
    with :class:`WorkspaceReadOnly` after the others are stored.
    """
    by_region: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        if _valid(event):
            by_region[event["region"]].append(event)
    _follow_region_moves(by_region)
    stored = 0
    waiting: set[str] = set()
    for region, batch in by_region.items():
        stored += _ingest_region(region, batch, waiting)
    if waiting and held is None:
        raise WorkspaceReadOnly(f"{len(waiting)} event(s) wait for a workspace moving region")
    if held is not None:
        held |= waiting
    return stored


def _follow_region_moves(by_region: dict[str, list[dict]]) -> None:
    """Events from mail sent before a region move name the old region; the delivery now
    lives in the new one under the same id (each region numbers in its own id band), so
    such events are ingested there. One indexed read per region, more only for movers."""
    from mailsoftly.campaigns.models import Delivery

    def present(region: str, ids: set[int]) -> set[int]:
        return set(
            Delivery.objects.dangerously_all_workspaces(region)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )

    for region in list(by_region):
        ids = {e["delivery_id"] for e in by_region[region]}
        missing = ids - present(region, ids)
        for other in (r for r in Region.values if r != region and missing):
            found = present(other, missing)
            if not found:
                continue
            moved = [e for e in by_region[region] if e["delivery_id"] in found]
            by_region[region] = [e for e in by_region[region] if e["delivery_id"] not in found]
            by_region[other].extend({**e, "region": other} for e in moved)
            missing -= found


def _ingest_region(region: str, batch: list[dict], held: set[str]) -> int:
    database = REGION_DATABASES[Region(region)]
    unique: dict[str, dict] = {}
    for event in batch:
        unique.setdefault(event["key"], event)
    for attempt in range(2):
        try:
            with transaction.atomic(using=database):
                work = _Batch(region, database, list(unique.values()))
                stored = work.apply()
            held |= work.held
            return stored
        except IntegrityError:
            # A concurrent writer stored some of these first; the retry skips them by key.
            if attempt:
                raise
    return 0


def _moving_keys(events: list[dict], deliveries: dict) -> set[str]:
    """Keys of the events whose workspace is moving region (read-only until it lands)."""
    moving = set()
    for workspace_id in {d.workspace_id for d in deliveries.values()}:
        try:
            check_writable(workspace_id)
        except WorkspaceReadOnly:
            moving.add(workspace_id)
    if not moving:
        return set()
    return {
        e["key"]
        for e in events
        if e["delivery_id"] in deliveries and deliveries[e["delivery_id"]].workspace_id in moving
    }


class _Batch:
    """One region's batch of raw events: a handful of queries whatever its size."""

    def __init__(self, region: str, database: str, events: list[dict]):
        from mailsoftly.campaigns.models import Campaign, Delivery

        self.region, self.database = region, database
        seen = set(
            Event.objects.using(database)
            .filter(key__in=[e["key"] for e in events])
            .values_list("key", flat=True)
        )
        fresh = [e for e in events if e["key"] not in seen]
        self.at = {e["key"]: _parse_at(e.get("at")) for e in fresh}
        self.events = sorted(fresh, key=lambda e: self.at[e["key"]])
        # Only the columns the drain reads, and each campaign (with its design) once: joined
        # per delivery, every row carried its design's whole content (about a third of a
        # batch's time in the drain benchmark).
        self.deliveries = {
            d.pk: d
            for d in Delivery.objects.dangerously_all_workspaces(region)
            .filter(pk__in={e["delivery_id"] for e in self.events})
            .only("pk", "workspace_id", "campaign_id", "contact_id", "sent_at")
        }
        campaigns = {
            c.pk: c
            for c in Campaign.objects.dangerously_all_workspaces(region)
            .filter(pk__in={d.campaign_id for d in self.deliveries.values()})
            .select_related("design")
        }
        for delivery in self.deliveries.values():
            delivery.campaign = campaigns[delivery.campaign_id]
        self.held = _moving_keys(self.events, self.deliveries)
        if self.held:
            self.events = [e for e in self.events if e["key"] not in self.held]
        link_ids = {e.get("link_id") for e in self.events if e["kind"] == EventKind.CLICK}
        self.links = {
            link.pk: link for link in Link.objects.using(database).filter(pk__in=link_ids - {None})
        }
        workspace_ids = {d.workspace_id for d in self.deliveries.values()}
        self.settings = {
            t.workspace_id: t
            for t in TrackingSettings.objects.using(database).filter(workspace_id__in=workspace_ids)
        }
        engaged = {
            e["delivery_id"] for e in self.events if e["kind"] in (EventKind.OPEN, EventKind.CLICK)
        }
        self.engagements = {
            en.delivery_id: en
            for en in Engagement.objects.using(database)
            .select_for_update()
            .filter(delivery_id__in=engaged)
        }
        self.new_engagements: dict[int, Engagement] = {}
        earliest = self.at[self.events[0]["key"]] if self.events else clock.now()
        self.recent_clicks: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        for delivery_id, at, link_id in (
            Event.objects.using(database)
            .filter(
                delivery_id__in=engaged,
                kind=EventKind.CLICK,
                occurred_at__gte=earliest - timedelta(seconds=machines.BURST_SECONDS),
            )
            .values_list("delivery_id", "occurred_at", "link_id")
        ):
            self.recent_clicks[delivery_id].append((at, link_id))
        self.stats: dict[int, Counter] = defaultdict(Counter)
        self.link_counts: dict[int, Counter] = defaultdict(Counter)
        self.activity: dict[tuple[int, datetime], Counter] = defaultdict(Counter)

    def apply(self) -> int:
        rows = [row for row in map(self._event, self.events) if row is not None]
        db = self.database
        # A plain INSERT, not ON CONFLICT DO NOTHING: the keys already stored were left out
        # above, so a conflict here means a concurrent drain stored some of these events
        # first. It must abort this batch (the caller retries it, skipping them) rather
        # than be skipped silently, or their counters would be added twice.
        Event.objects.using(db).bulk_create(rows)
        Engagement.objects.using(db).bulk_create(self.new_engagements.values())
        changed = [
            en
            for en in self.engagements.values()
            if en.pk and getattr(en, "_dirty", False) and en.delivery_id not in self.new_engagements
        ]
        if changed:
            # One upsert for every changed row (locked above by SELECT … FOR UPDATE, so it
            # always takes the update branch) instead of bulk_update's CASE per field and
            # row, which grew with the square of the batch.
            Engagement.objects.using(db).bulk_create(
                [
                    Engagement(
                        workspace_id=en.workspace_id,
                        delivery_id=en.delivery_id,
                        campaign_id=en.campaign_id,
                        contact_id=en.contact_id,
                        **{field: getattr(en, field) for field in _ENGAGEMENT_FIELDS},
                    )
                    for en in changed
                ],
                update_conflicts=True,
                unique_fields=["delivery"],
                update_fields=_ENGAGEMENT_FIELDS,
            )
        self._flush_counters()
        self._emit_webhooks(rows)
        return len(rows)

    def _emit_webhooks(self, rows: list[Event]) -> None:
        """delivery.opened / delivery.clicked for people's events, to subscribed endpoints."""
        from mailsoftly.teams.models import Workspace
        from mailsoftly.webhooks.models import WebhookEndpoint
        from mailsoftly.webhooks.services import webhook_emit

        names = {EventKind.OPEN: "delivery.opened", EventKind.CLICK: "delivery.clicked"}
        wanted = [r for r in rows if r.kind in names and not r.is_machine]
        for workspace_id in {r.workspace_id for r in wanted}:
            workspace = Workspace.objects.filter(pk=workspace_id).first()
            if workspace is None or not (
                WebhookEndpoint.objects.for_workspace(workspace)
                .filter(disabled_at__isnull=True)
                .exists()
            ):
                continue
            for row in (r for r in wanted if r.workspace_id == workspace_id):
                data = {
                    "delivery": {"id": row.delivery_id, "campaign_id": row.campaign_id},
                    "occurred_at": row.occurred_at.isoformat(),
                }
                if row.link is not None:
                    data["link"] = {"id": row.link.pk, "url": row.link.url}
                webhook_emit(workspace=workspace, event=names[row.kind], data=data)

    def _event(self, event: dict) -> Event | None:
        delivery = self.deliveries.get(event["delivery_id"])
        if delivery is None:
            return None
        campaign = delivery.campaign
        at = self.at[event["key"]]
        kind = event["kind"]
        ip = event.get("ip") or None
        agent = (event.get("ua") or "")[:512]
        # The hit time's verdict on address and agent; events recorded before it existed
        # carry the address and agent instead, and are judged by them here.
        verdict = event.get("machine")
        verdict = verdict if verdict in machines.AGENT_REASONS else None
        link, reason = None, ""
        if kind == EventKind.OPEN:
            reason = machines.open_reason(ip=ip, user_agent=agent) if verdict is None else verdict
        elif kind == EventKind.CLICK:
            link = self.links.get(event.get("link_id"))
            if link is None or link.campaign_id != campaign.pk:
                return None
            window = at - timedelta(seconds=machines.BURST_SECONDS)
            recent = self.recent_clicks[delivery.pk]
            others = {lid for when, lid in recent if when >= window and lid != link.pk}
            reason = machines.click_reason(
                user_agent=agent,
                is_honeypot=link.is_honeypot,
                occurred_at=at,
                sent_at=delivery.sent_at,
                recent_other_links=len(others),
                agent_verdict=verdict,
            )
            recent.append((at, link.pk))
        keep_identity = collects_ip(campaign)
        self._count(delivery, kind, link, at, machine=bool(reason), event=event)
        return Event(
            workspace_id=delivery.workspace_id,
            key=event["key"],
            kind=kind,
            campaign_id=campaign.pk,
            delivery_id=delivery.pk,
            link=link,
            occurred_at=at,
            is_machine=bool(reason),
            machine_reason=reason,
            ip=ip if keep_identity else None,
            user_agent=agent if keep_identity else "",
        )

    def _engagement(self, delivery) -> Engagement:
        found = self.engagements.get(delivery.pk)
        if found is None:
            found = Engagement(
                workspace_id=delivery.workspace_id,
                delivery_id=delivery.pk,
                campaign_id=delivery.campaign_id,
                contact_id=delivery.contact_id,
            )
            self.engagements[delivery.pk] = self.new_engagements[delivery.pk] = found
        found._dirty = True
        return found

    def _count(self, delivery, kind, link, at, *, machine: bool, event: dict) -> None:
        stats = self.stats[delivery.campaign_id]
        if kind == EventKind.UNSUBSCRIBE:
            stats["unsubscribes"] += 1
        elif kind == EventKind.COMPLAINT:
            stats["complaints"] += 1
        elif kind == EventKind.BOUNCE:
            stats["hard_bounces" if event.get("bounce_type") == "hard" else "soft_bounces"] += 1
        else:
            self._count_engagement(delivery, stats, kind, link, at, machine)

    def _count_engagement(self, delivery, stats, kind, link, at, machine) -> None:
        engagement = self._engagement(delivery)
        is_open = kind == EventKind.OPEN
        if machine:
            field = "machine_opens" if is_open else "machine_clicks"
            setattr(engagement, field, getattr(engagement, field) + 1)
            stats[field] += 1
            if link is not None:
                self.link_counts[link.pk]["machine_clicks"] += 1
            return
        thresholds = self.settings.get(delivery.workspace_id) or TrackingSettings()
        was_interested, was_very = engagement.interested, engagement.very_interested
        if is_open:
            if engagement.opens == 0:
                stats["unique_opens"] += 1
                engagement.first_open_at = at
            engagement.opens += 1
            stats["opens"] += 1
        else:
            if engagement.clicks == 0:
                stats["unique_clicks"] += 1
                engagement.first_click_at = at
            engagement.clicks += 1
            stats["clicks"] += 1
            self.link_counts[link.pk]["clicks"] += 1
            if link.pk not in engagement.links_clicked:
                engagement.links_clicked = [*engagement.links_clicked, link.pk]
                self.link_counts[link.pk]["unique_clicks"] += 1
        engagement.interested = engagement.opens > 0 or engagement.clicks > 0
        engagement.very_interested = (
            engagement.opens >= thresholds.very_interested_opens
            or len(engagement.links_clicked) >= thresholds.very_interested_links
        )
        if engagement.interested and not was_interested:
            stats["interested"] += 1
        if engagement.very_interested and not was_very:
            stats["very_interested"] += 1
        hour = at.replace(minute=0, second=0, microsecond=0)
        self.activity[(delivery.campaign_id, hour)]["opens" if is_open else "clicks"] += 1

    def _flush_counters(self) -> None:
        """One UPDATE per campaign, link and (campaign, hour) touched by the batch.

        The increments were summed over the whole batch first; a row is created only the
        first time its key is seen (then updated like the others).
        """
        db = self.database
        workspace_of = {d.campaign_id: d.workspace_id for d in self.deliveries.values()}

        def add(model, lookup: dict, counts: Counter, defaults: dict) -> None:
            increments = {field: F(field) + n for field, n in counts.items() if n}
            if not increments:
                return
            rows = model.objects.using(db).filter(**lookup)
            if rows.update(**increments):
                return
            model.objects.using(db).get_or_create(**lookup, defaults=defaults)
            rows.update(**increments)

        for campaign_id, counts in self.stats.items():
            add(
                CampaignStats,
                {"campaign_id": campaign_id},
                counts,
                {"workspace_id": workspace_of[campaign_id]},
            )
        for link_id, counts in self.link_counts.items():
            increments = {field: F(field) + n for field, n in counts.items() if n}
            if increments:
                Link.objects.using(db).filter(pk=link_id).update(**increments)
        for (campaign_id, hour), counts in self.activity.items():
            add(
                CampaignActivity,
                {"campaign_id": campaign_id, "hour": hour},
                counts,
                {"workspace_id": workspace_of[campaign_id]},
            )


def collects_ip(campaign) -> bool:
    design = getattr(campaign, "design", None)
    return bool(design is not None and design.collect_ip_addresses)
