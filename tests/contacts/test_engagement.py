"""Engagement conditions in segments, over tracking's per-delivery totals."""

import pytest

from mailsoftly.contacts import selectors
from mailsoftly.contacts.segments import SegmentError, segment_compile
from mailsoftly.core import clock
from tests.contacts.factories import ContactFactory


def _campaign(workspace, name, *, days_ago):
    from mailsoftly.campaigns.models import Campaign

    return Campaign.objects.for_workspace(workspace).create(
        workspace=workspace, name=name, status="sent", started_at=clock.days_from_now(-days_ago)
    )


def _engage(workspace, campaign, contact, *, opens=0, clicks=0, machine_opens=0, url=None):
    from mailsoftly.campaigns.models import Delivery
    from mailsoftly.tracking.models import Engagement, Event, Link

    delivery = Delivery.objects.for_workspace(workspace).create(
        workspace=workspace,
        campaign=campaign,
        contact=contact,
        email=contact.email,
        email_key=contact.email_key,
        status="sent",
    )
    Engagement.objects.for_workspace(workspace).create(
        workspace=workspace,
        delivery=delivery,
        campaign=campaign,
        contact_id=contact.pk,
        opens=opens,
        clicks=clicks,
        machine_opens=machine_opens,
    )
    if url:
        link = Link.objects.for_workspace(workspace).create(
            workspace=workspace, campaign=campaign, url=url, url_hash=str(hash(url))
        )
        Event.objects.for_workspace(workspace).create(
            workspace=workspace,
            key=f"{delivery.pk}-{link.pk}",
            kind="click",
            campaign=campaign,
            delivery=delivery,
            link=link,
            occurred_at=clock.now(),
        )


def _match(workspace, op, value=None):
    condition = {"field": "engagement", "op": op}
    if value is not None:
        condition["value"] = value
    rules = {"conditions": [condition]}
    return sorted(
        selectors.contact_list(workspace=workspace)
        .filter(segment_compile(workspace=workspace, rules=rules))
        .values_list("email", flat=True)
    )


def test_opened_last_clicked_link_and_never_opened(workspace):
    old = _campaign(workspace, "old", days_ago=30)
    mid = _campaign(workspace, "mid", days_ago=10)
    new = _campaign(workspace, "new", days_ago=1)
    recent = ContactFactory(workspace=workspace, email="recent@x.org")
    stale = ContactFactory(workspace=workspace, email="stale@x.org")
    bot = ContactFactory(workspace=workspace, email="bot@x.org")
    ContactFactory(workspace=workspace, email="silent@x.org")
    _engage(workspace, new, recent, opens=2, clicks=1, url="https://shop.example/sale")
    _engage(workspace, old, stale, opens=1)
    _engage(workspace, mid, bot, machine_opens=5)  # a scanner is not engagement
    assert _match(workspace, "opened_last", 2) == ["recent@x.org"]
    assert _match(workspace, "opened_last", 3) == ["recent@x.org", "stale@x.org"]
    assert _match(workspace, "clicked_link", "shop.example/sale") == ["recent@x.org"]
    assert _match(workspace, "never_opened") == ["bot@x.org", "silent@x.org"]


@pytest.mark.parametrize(
    ("op", "value"),
    [("opened_last", "lots"), ("opened_last", 0), ("clicked_link", ""), ("hacked", 1)],
)
def test_bad_engagement_conditions_are_refused(workspace, op, value):
    with pytest.raises(SegmentError):
        segment_compile(
            workspace=workspace,
            rules={"conditions": [{"field": "engagement", "op": op, "value": value}]},
        )
