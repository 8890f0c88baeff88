"""Demo seeding: the demo campaign gets opens and clicks, so its report has something to show.

Events are made up for the demo recipients only (people at example addresses) and go
through the same ingestion as real ones. Their keys derive from the delivery, so running
the seed again adds nothing.
"""

from __future__ import annotations

import datetime as dt

from mailsoftly.demo import step


@step
def seed_engagement(*, workspace, user) -> None:
    from mailsoftly.campaigns.demo import DEMO_CAMPAIGN
    from mailsoftly.campaigns.models import Campaign, Delivery, DeliveryStatus
    from mailsoftly.tracking.services import events_ingest, link_get_or_create

    campaign = Campaign.objects.for_workspace(workspace).filter(name=DEMO_CAMPAIGN).first()
    if campaign is None:
        return
    campaign.workspace = workspace
    deliveries = list(
        Delivery.objects.for_workspace(workspace)
        .filter(campaign=campaign, status=DeliveryStatus.SENT)
        .order_by("pk")
    )
    from mailsoftly.tracking.models import Link

    links = list(
        Link.objects.for_workspace(workspace)
        .filter(campaign=campaign, is_honeypot=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    ) or [link_get_or_create(campaign=campaign, url="https://example.com/autumn-sale").pk]
    human = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
    events = []
    for n, delivery in enumerate(deliveries):
        sent = delivery.sent_at or campaign.started_at
        if sent is None:
            continue
        if n % 10 < 6:  # six in ten open, some of them again later
            for k in range(1 + (n % 4 == 0) * 2):
                at = sent + dt.timedelta(minutes=7 + n * 13 + k * 180)
                events.append(
                    _event(f"demo-o-{delivery.pk}-{k}", "open", workspace, delivery, at, human)
                )
        if n % 10 < 3:  # three in ten click, a few of them both links
            for k, link_id in enumerate(links[: 1 + (n % 6 == 0)]):
                at = sent + dt.timedelta(minutes=9 + n * 13 + k * 2)
                event = _event(f"demo-c-{delivery.pk}-{k}", "click", workspace, delivery, at, human)
                events.append({**event, "link_id": link_id})
        if n == 5:  # Apple Mail Privacy Protection fetches the pixel on arrival
            events.append(
                _event(f"demo-m-{delivery.pk}", "open", workspace, delivery, sent, "Mozilla/5.0")
            )
    events_ingest(events=events)


def _event(key, kind, workspace, delivery, at, agent) -> dict:
    return {
        "key": key,
        "kind": kind,
        "region": workspace.region,
        "delivery_id": delivery.pk,
        "at": at.isoformat(),
        "ua": agent,
    }
