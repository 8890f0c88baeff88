"""Seed data for benchmarks/tracking.py: one sent campaign with many deliveries."""

from __future__ import annotations

import datetime as dt


def seed(deliveries: int):
    from mailsoftly.accounts.models import User
    from mailsoftly.campaigns.models import Campaign, Delivery
    from mailsoftly.core import clock
    from mailsoftly.designs.models import Design
    from mailsoftly.teams.services import workspace_create
    from mailsoftly.tracking import tokens
    from mailsoftly.tracking.services import link_get_or_create

    user = User.objects.create_user("bench", "bench@example.com", "bench-password-123")
    ws = workspace_create(owner=user, name="Bench")
    design = Design.objects.for_workspace(ws).create(
        workspace=ws,
        name="d",
        subject="s",
        source_kind="html",
        source="<p>x</p>",
        compiled_html="<p>x</p>",
        compiled_text="x",
    )
    campaign = Campaign.objects.for_workspace(ws).create(
        workspace=ws,
        name="Bench",
        design=design,
        status="sent",
        total_count=deliveries,
        sent_count=deliveries,
        started_at=clock.now(),
    )
    sent_at = clock.now() - dt.timedelta(hours=1)
    Delivery.objects.for_workspace(ws).bulk_create(
        Delivery(
            workspace=ws,
            campaign=campaign,
            email=f"r{i}@example.org",
            email_key=f"r{i}@example.org",
            status="sent",
            sent_at=sent_at,
        )
        for i in range(deliveries)
    )
    ids = list(
        Delivery.objects.for_workspace(ws).filter(campaign=campaign).values_list("pk", flat=True)
    )
    links = [
        link_get_or_create(campaign=campaign, url=f"https://shop.example/p/{n}?utm=bench").pk
        for n in range(5)
    ]
    opens = [f"/o/{tokens.open_token(region='us', delivery_id=i)}.gif" for i in ids]
    clicks = [
        f"/c/{tokens.click_token(region='us', delivery_id=i, link_id=links[i % 5])}" for i in ids
    ]
    return opens, clicks, campaign
