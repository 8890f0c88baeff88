"""Engagement conditions for segments, over the tracking app's per-delivery totals.

Registered with :func:`mailsoftly.contacts.segments.condition_type` when the app is ready,
so the segment language stays one allow-list. Machine opens and clicks (scanners, privacy
proxies) never count as engagement.

* ``{"field": "engagement", "op": "opened_last", "value": 3}`` — opened any of the last 3
  campaigns that started sending;
* ``"clicked_last"`` — the same for clicks;
* ``"never_opened"`` — no human open of any campaign;
* ``"clicked_link"`` with a text value — clicked a link whose URL contains the text.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from mailsoftly.contacts.segments import SegmentError, condition_type
from mailsoftly.core.ids import parse_id

MAX_CAMPAIGNS = 100


def _recent_campaign_ids(workspace, value) -> list[int]:
    from mailsoftly.campaigns.models import Campaign

    count = parse_id(value)
    if count is None or count > MAX_CAMPAIGNS:
        raise SegmentError(_("Give a number of campaigns from 1 to %(n)d.") % {"n": MAX_CAMPAIGNS})
    return list(
        Campaign.objects.for_workspace(workspace)
        .filter(started_at__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("id", flat=True)[:count]
    )


@condition_type("engagement")
def engagement_condition(workspace, op: str, value) -> Q:
    from mailsoftly.tracking.models import Engagement, Event, EventKind

    engaged = Engagement.objects.for_workspace(workspace).filter(contact_id__isnull=False)
    if op == "opened_last":
        ids = _recent_campaign_ids(workspace, value)
        return Q(pk__in=engaged.filter(campaign_id__in=ids, opens__gt=0).values("contact_id"))
    if op == "clicked_last":
        ids = _recent_campaign_ids(workspace, value)
        return Q(pk__in=engaged.filter(campaign_id__in=ids, clicks__gt=0).values("contact_id"))
    if op == "never_opened":
        return ~Q(pk__in=engaged.filter(opens__gt=0).values("contact_id"))
    if op == "clicked_link":
        if not isinstance(value, str) or not value.strip():
            raise SegmentError(_("Give part of the link's address."))
        clicked = (
            Event.objects.for_workspace(workspace)
            .filter(
                kind=EventKind.CLICK,
                is_machine=False,
                link__url__icontains=value.strip(),
                delivery__contact_id__isnull=False,
            )
            .values("delivery__contact_id")
        )
        return Q(pk__in=clicked)
    raise SegmentError(_("Unknown operator “%(op)s” for engagement.") % {"op": op})
