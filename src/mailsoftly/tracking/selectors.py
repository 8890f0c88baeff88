"""Reads of the tracking app: reports and rates from the incremental counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from mailsoftly.tracking.models import (
    CampaignActivity,
    CampaignStats,
    Engagement,
    Event,
    Link,
)


def tracking_enabled_for(*, campaign) -> bool:
    """Opens and clicks are tracked unless the workspace or the campaign's design says no."""
    from mailsoftly.tracking.services import tracking_settings_get

    if not tracking_settings_get(workspace=campaign.workspace).tracking_enabled:
        return False
    design = campaign.design if campaign.design_id else None
    return design is None or design.track_opens_clicks


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


class _Rates:
    """Rates over delivered recipients (percent, one decimal; None with nobody delivered).
    The dataclasses below have ``delivered``, ``unique_opens``, ``unique_clicks``,
    ``interested`` and ``very_interested``."""

    @property
    def open_rate(self):
        return _rate(self.unique_opens, self.delivered)

    @property
    def click_rate(self):
        return _rate(self.unique_clicks, self.delivered)

    @property
    def click_to_open_rate(self):
        return _rate(self.unique_clicks, self.unique_opens)

    @property
    def interested_rate(self):
        return _rate(self.interested, self.delivered)

    @property
    def very_interested_rate(self):
        return _rate(self.very_interested, self.delivered)


@dataclass(frozen=True)
class CampaignReport(_Rates):
    recipients: int
    delivered: int
    hard_bounces: int
    soft_bounces: int
    unique_opens: int
    opens: int
    unique_clicks: int
    clicks: int
    machine_opens: int
    machine_clicks: int
    unsubscribes: int
    complaints: int
    interested: int
    very_interested: int


def campaign_report(*, campaign) -> CampaignReport:
    stats = (
        CampaignStats.objects.for_workspace(campaign.workspace).filter(campaign=campaign).first()
        or CampaignStats()
    )
    delivered = campaign.sent_count
    return CampaignReport(
        recipients=campaign.total_count,
        delivered=delivered,
        hard_bounces=stats.hard_bounces + campaign.bounced_count,
        soft_bounces=stats.soft_bounces,
        unique_opens=stats.unique_opens,
        opens=stats.opens,
        unique_clicks=stats.unique_clicks,
        clicks=stats.clicks,
        machine_opens=stats.machine_opens,
        machine_clicks=stats.machine_clicks,
        unsubscribes=stats.unsubscribes,
        complaints=stats.complaints,
        interested=stats.interested,
        very_interested=stats.very_interested,
    )


def link_report(*, campaign) -> list[Link]:
    return list(
        Link.objects.for_workspace(campaign.workspace)
        .filter(campaign=campaign, is_honeypot=False)
        .order_by("-unique_clicks", "-clicks", "id")
    )


def activity_series(*, campaign) -> dict:
    """Opens and clicks per hour for the first 48 hours, then per day."""
    rows = list(
        CampaignActivity.objects.for_workspace(campaign.workspace)
        .filter(campaign=campaign)
        .values("hour", "opens", "clicks")
    )
    if not rows:
        return {"labels": [], "opens": [], "clicks": []}
    start = campaign.started_at or rows[0]["hour"]
    buckets: dict = {}
    for row in rows:
        hour = row["hour"]
        if hour - start < timedelta(hours=48):
            label = hour.strftime("%Y-%m-%d %H:00")
        else:
            label = hour.strftime("%Y-%m-%d")
        opens, clicks = buckets.get(label, (0, 0))
        buckets[label] = (opens + row["opens"], clicks + row["clicks"])
    return {
        "labels": list(buckets),
        "opens": [value[0] for value in buckets.values()],
        "clicks": [value[1] for value in buckets.values()],
    }


@dataclass(frozen=True)
class AudienceEngagement(_Rates):
    """How the recipients in one list or segment engaged with a campaign (people only)."""

    kind: str  # "list" or "segment"
    name: str
    delivered: int
    unique_opens: int
    unique_clicks: int
    interested: int
    very_interested: int

    @property
    def kind_label(self):
        return _("List") if self.kind == "list" else _("Segment")


AUDIENCE_CACHE_SECONDS = 120


def _audience_row(campaign, *, kind: str, name: str, members) -> AudienceEngagement:
    from mailsoftly.campaigns.models import Delivery, DeliveryStatus

    found = (
        Delivery.objects.for_workspace(campaign.workspace)
        .filter(campaign=campaign, status=DeliveryStatus.SENT, contact_id__in=members)
        .aggregate(
            delivered=Count("pk"),
            unique_opens=Count("pk", filter=Q(engagement__opens__gt=0)),
            unique_clicks=Count("pk", filter=Q(engagement__clicks__gt=0)),
            interested=Count("pk", filter=Q(engagement__interested=True)),
            very_interested=Count("pk", filter=Q(engagement__very_interested=True)),
        )
    )
    return AudienceEngagement(kind=kind, name=name, **found)


def audience_engagement(*, campaign, segment=None) -> list[AudienceEngagement]:
    """Engagement per list the campaign was sent to, per its segment, and per ``segment``.

    List members are everyone with a subscription to the list, including those who left it
    since (often because of this very campaign). Segments are evaluated as they stand now.
    Results are cached for a short while: the breakdown joins every delivery.
    """
    from django.core.cache import cache

    from mailsoftly.contacts.models import Contact, ContactList, Segment, Subscription
    from mailsoftly.contacts.segments import SegmentError, segment_compile

    workspace = campaign.workspace
    segments = {campaign.segment_id, getattr(segment, "pk", None)} - {None}
    stamp = campaign.created_at.timestamp() if campaign.created_at else 0
    cache_key = f"trk:audience:v2:{workspace.region}:{campaign.pk}:{stamp}:{sorted(segments)}"
    found = cache.get(cache_key)
    if found is not None:
        return found
    rows = []
    lists = ContactList.objects.for_workspace(workspace).filter(
        pk__in=[int(i) for i in campaign.list_ids]
    )
    for contact_list in lists.order_by("name", "pk"):
        members = (
            Subscription.objects.for_workspace(workspace)
            .filter(contact_list_id=contact_list.pk)
            .values("contact_id")
        )
        rows.append(_audience_row(campaign, kind="list", name=contact_list.name, members=members))
    for found_segment in Segment.objects.for_workspace(workspace).filter(pk__in=segments):
        try:
            rule = segment_compile(workspace=workspace, rules=found_segment.rules)
        except SegmentError:
            continue  # a segment whose rules no longer compile has no members to show
        members = Contact.objects.for_workspace(workspace).filter(rule).values("pk")
        rows.append(
            _audience_row(campaign, kind="segment", name=found_segment.name, members=members)
        )
    cache.set(cache_key, rows, AUDIENCE_CACHE_SECONDS)
    return rows


def contact_engagement_level(*, workspace, contact_id: int) -> str:
    """ "very_interested", "interested" or "cold", over all of the contact's deliveries."""
    found = (
        Engagement.objects.for_workspace(workspace)
        .filter(contact_id=contact_id)
        .aggregate(
            very=Count("pk", filter=Q(very_interested=True)),
            interested=Count("pk", filter=Q(interested=True)),
        )
    )
    if found["very"]:
        return "very_interested"
    if found["interested"]:
        return "interested"
    return "cold"


MACHINE_REASONS = {
    "apple_mpp": _("mail privacy proxy"),
    "tool_agent": _("automated client"),
    "prefetch": _("link scanner (seconds after delivery)"),
    "burst": _("link scanner (many links at once)"),
    "honeypot": _("hidden link only machines follow"),
}


@dataclass(frozen=True)
class ContactTrackingEvent:
    """One open, click, unsubscribe, bounce or complaint, as the contact's timeline shows it.

    ``ip`` and ``user_agent`` are set only when the email collected them (P37).
    """

    occurred_at: datetime
    kind: str
    kind_label: str
    campaign_id: int
    campaign_name: str
    url: str
    machine_reason: str
    ip: str | None
    user_agent: str


def contact_tracking_event_list(*, contact, limit: int = 100) -> list[ContactTrackingEvent]:
    """The newest tracking events of a contact's deliveries, newest first."""
    rows = (
        Event.objects.for_workspace(contact.workspace)
        .filter(delivery__contact_id=contact.pk)
        .select_related("campaign", "link")
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [
        ContactTrackingEvent(
            occurred_at=row.occurred_at,
            kind=row.kind,
            kind_label=row.get_kind_display(),
            campaign_id=row.campaign_id,
            campaign_name=row.campaign.name,
            url=row.link.url if row.link is not None and not row.link.is_honeypot else "",
            machine_reason=(
                str(MACHINE_REASONS.get(row.machine_reason, row.machine_reason))
                if row.is_machine
                else ""
            ),
            ip=row.ip,
            user_agent=row.user_agent,
        )
        for row in rows
    ]


ENGAGEMENT_LEVELS = {
    "cold": _("Cold"),
    "interested": _("Interested"),
    "very_interested": _("Very interested"),
}


@dataclass(frozen=True)
class ContactTracking:
    """What the contact page shows of tracking: the engagement level and recent events."""

    level: str
    level_label: str
    events: list[ContactTrackingEvent]


def contact_tracking(*, contact, limit: int = 100) -> ContactTracking:
    level = contact_engagement_level(workspace=contact.workspace, contact_id=contact.pk)
    return ContactTracking(
        level=level,
        level_label=str(ENGAGEMENT_LEVELS[level]),
        events=contact_tracking_event_list(contact=contact, limit=limit),
    )


# Platform statistics (P17): aggregates only, suppressed for small groups.
MIN_WORKSPACES = 10
MIN_RECIPIENTS = 100


def platform_statistics() -> dict:
    """Totals and rates across every workspace of every region, or suppressed figures.

    Only sums leave the databases; no workspace, campaign or recipient is named, and
    nothing is shown while fewer than MIN_WORKSPACES workspaces or MIN_RECIPIENTS
    recipients stand behind the figures.
    """
    from mailsoftly.campaigns.models import Campaign
    from mailsoftly.core.regions import Region

    totals = {
        "workspaces": set(),
        "recipients": 0,
        "delivered": 0,
        "unique_opens": 0,
        "unique_clicks": 0,
        "interested": 0,
        "very_interested": 0,
    }
    for region in Region.values:
        campaigns = Campaign.objects.dangerously_all_workspaces(region)
        totals["workspaces"].update(
            campaigns.filter(sent_count__gt=0).values_list("workspace_id", flat=True).distinct()
        )
        sums = campaigns.aggregate(recipients=Sum("total_count"), delivered=Sum("sent_count"))
        totals["recipients"] += sums["recipients"] or 0
        totals["delivered"] += sums["delivered"] or 0
        stats = CampaignStats.objects.dangerously_all_workspaces(region).aggregate(
            unique_opens=Sum("unique_opens"),
            unique_clicks=Sum("unique_clicks"),
            interested=Sum("interested"),
            very_interested=Sum("very_interested"),
        )
        for key, value in stats.items():
            totals[key] += value or 0
    workspaces = len(totals.pop("workspaces"))
    if workspaces < MIN_WORKSPACES or totals["recipients"] < MIN_RECIPIENTS:
        return {"suppressed": True, "reason": "too few workspaces or recipients to report"}
    delivered = totals["delivered"]
    return {
        "suppressed": False,
        # Counts are rounded so that differencing two snapshots cannot single out a sender.
        "workspaces": workspaces,
        "recipients": round(totals["recipients"], -2),
        "delivered": round(delivered, -2),
        "open_rate": _rate(totals["unique_opens"], delivered),
        "click_rate": _rate(totals["unique_clicks"], delivered),
        "interested_rate": _rate(totals["interested"], delivered),
        "very_interested_rate": _rate(totals["very_interested"], delivered),
    }
