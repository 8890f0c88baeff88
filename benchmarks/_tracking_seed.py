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


def seed_big_report(*, workspace, deliveries: int, events: int, engaged_share: float = 0.4):
    """A sent campaign with ``deliveries`` deliveries and ``events`` opens and clicks.

    Set-based (PostgreSQL ``INSERT … SELECT generate_series``), then the counters the report
    reads (engagement rows, campaign totals, link totals, hourly activity) are computed from
    the stored events in SQL, so they agree with the events exactly. No user text reaches
    the SQL: every value is a number from this function or a parameter.
    """
    import time

    from django.db import connections

    from mailsoftly.campaigns.models import Campaign, Delivery
    from mailsoftly.core import clock
    from mailsoftly.tracking.models import (
        CampaignActivity,
        CampaignStats,
        Engagement,
        Event,
        Link,
    )
    from mailsoftly.tracking.services import link_get_or_create

    ws = workspace
    started = clock.now() - dt.timedelta(days=4)
    campaign = Campaign.objects.for_workspace(ws).create(
        workspace=ws,
        name="Big report",
        status="sent",
        total_count=deliveries,
        sent_count=deliveries,
        started_at=started,
        finished_at=started + dt.timedelta(hours=2),
    )
    links = [
        link_get_or_create(campaign=campaign, url=f"https://shop.example/big/{n}?utm=bench").pk
        for n in range(5)
    ]
    engaged = max(1, int(deliveries * engaged_share))
    db = ws.database
    steps = []

    def run(label: str, sql: str, params: list) -> None:
        t = time.perf_counter()
        with connections[db].cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute(sql, params)
        steps.append((label, time.perf_counter() - t))
        print(f"  seeded {label} in {steps[-1][1]:.1f} s", flush=True)

    dtab = Delivery._meta.db_table
    run(
        f"{deliveries:,} deliveries",
        f"""INSERT INTO {dtab} (workspace_id, created_at, updated_at, campaign_id, email,
                email_key, status, reason, attempts, claim_token, sent_at)
            SELECT %s, now(), now(), %s, 'big' || g || '@example.org', 'big' || g || '@example.org',
                'sent', '', 1, '', %s
            FROM generate_series(1, %s) AS g""",
        [ws.pk, campaign.pk, started, deliveries],
    )
    first_id = (
        Delivery.objects.for_workspace(ws)
        .filter(campaign=campaign)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    etab = Event._meta.db_table
    # Event g goes to engaged delivery (g * 7919) mod engaged: a prime stride spreads the
    # events evenly. Every sixth event is a click on one of five links, every seventeenth a
    # machine's, and they are spread over the first 72 hours. Keys are ascending (live keys
    # are random) so that the unique index grows at its end: this only speeds up seeding.
    run(
        f"{events:,} events",
        f"""INSERT INTO {etab} (workspace_id, created_at, updated_at, key, kind, campaign_id,
                delivery_id, link_id, occurred_at, is_machine, machine_reason, ip, user_agent)
            SELECT %s, now(), now(), 'big-' || %s || '-' || lpad(g::text, 12, '0'),
                CASE WHEN g %% 6 = 0 THEN 'click' ELSE 'open' END,
                %s, %s + (g::bigint * 7919) %% %s,
                CASE WHEN g %% 6 = 0 THEN (%s::bigint[])[((g / 6) %% 5) + 1] END,
                %s + make_interval(secs => (g %% 259200)),
                g %% 17 = 0,
                CASE WHEN g %% 17 <> 0 THEN '' WHEN g %% 6 = 0 THEN 'prefetch' ELSE 'apple_mpp' END,
                NULL, ''
            FROM generate_series(1, %s) AS g""",
        [
            ws.pk,
            str(campaign.pk),
            campaign.pk,
            first_id,
            engaged,
            links,
            started + dt.timedelta(minutes=1),
            events,
        ],
    )
    ntab = Engagement._meta.db_table
    run(
        "engagement rows from the events",
        f"""INSERT INTO {ntab} (workspace_id, created_at, updated_at, delivery_id, campaign_id,
                contact_id, opens, clicks, machine_opens, machine_clicks, links_clicked,
                first_open_at, first_click_at, interested, very_interested)
            SELECT %s, now(), now(), delivery_id, %s, NULL, opens, clicks, m_opens, m_clicks,
                links, first_open, first_click, opens + clicks > 0,
                opens >= 3 OR jsonb_array_length(links) >= 2
            FROM (
                SELECT delivery_id,
                    count(*) FILTER (WHERE kind = 'open' AND NOT is_machine) AS opens,
                    count(*) FILTER (WHERE kind = 'click' AND NOT is_machine) AS clicks,
                    count(*) FILTER (WHERE kind = 'open' AND is_machine) AS m_opens,
                    count(*) FILTER (WHERE kind = 'click' AND is_machine) AS m_clicks,
                    coalesce(jsonb_agg(DISTINCT link_id)
                        FILTER (WHERE kind = 'click' AND NOT is_machine), '[]') AS links,
                    min(occurred_at) FILTER (WHERE kind = 'open' AND NOT is_machine) AS first_open,
                    min(occurred_at) FILTER (WHERE kind = 'click' AND NOT is_machine) AS first_click
                FROM {etab} WHERE campaign_id = %s GROUP BY delivery_id
            ) AS per_delivery""",
        [ws.pk, campaign.pk, campaign.pk],
    )
    stab = CampaignStats._meta.db_table
    run(
        "campaign totals",
        f"""INSERT INTO {stab} (workspace_id, created_at, updated_at, campaign_id, opens,
                unique_opens, clicks, unique_clicks, machine_opens, machine_clicks, unsubscribes,
                complaints, hard_bounces, soft_bounces, interested, very_interested)
            SELECT %s, now(), now(), %s, sum(opens), count(*) FILTER (WHERE opens > 0),
                sum(clicks), count(*) FILTER (WHERE clicks > 0), sum(machine_opens),
                sum(machine_clicks), 0, 0, 0, 0, count(*) FILTER (WHERE interested),
                count(*) FILTER (WHERE very_interested)
            FROM {ntab} WHERE campaign_id = %s""",
        [ws.pk, campaign.pk, campaign.pk],
    )
    ltab = Link._meta.db_table
    run(
        "link totals",
        f"""UPDATE {ltab} SET clicks = t.clicks, unique_clicks = t.uniq, machine_clicks = t.machine
            FROM (
                SELECT link_id, count(*) FILTER (WHERE NOT is_machine) AS clicks,
                    count(DISTINCT delivery_id) FILTER (WHERE NOT is_machine) AS uniq,
                    count(*) FILTER (WHERE is_machine) AS machine
                FROM {etab} WHERE campaign_id = %s AND kind = 'click' GROUP BY link_id
            ) AS t WHERE {ltab}.id = t.link_id""",
        [campaign.pk],
    )
    atab = CampaignActivity._meta.db_table
    run(
        "hourly activity",
        f"""INSERT INTO {atab} (workspace_id, created_at, updated_at, campaign_id, hour, opens,
                clicks)
            SELECT %s, now(), now(), %s, date_trunc('hour', occurred_at),
                count(*) FILTER (WHERE kind = 'open'), count(*) FILTER (WHERE kind = 'click')
            FROM {etab} WHERE campaign_id = %s AND NOT is_machine
            GROUP BY date_trunc('hour', occurred_at)""",
        [ws.pk, campaign.pk, campaign.pk],
    )
    run("ANALYZE", f"ANALYZE {dtab}, {etab}, {ntab}", [])
    return campaign, sum(seconds for _, seconds in steps)
