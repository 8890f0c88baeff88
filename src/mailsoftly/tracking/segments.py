"""The contact engagement level as a segment condition.

``{"field": "engagement_level", "op": "eq" | "neq", "value": "cold" | "interested" |
"very_interested"}``. A contact's level is the best over all of their deliveries, from
people's opens and clicks only: *very interested* once any delivery passed the workspace's
thresholds, *interested* once they opened or clicked anything, *cold* otherwise. The same
rule as :func:`mailsoftly.tracking.selectors.contact_engagement_level`.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from mailsoftly.contacts.segments import SegmentError, condition_type

LEVELS = ("cold", "interested", "very_interested")


def _level(value) -> str:
    text = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    if text not in LEVELS:
        raise SegmentError(_("Choose an engagement level: cold, interested or very interested."))
    return text


@condition_type("engagement_level")
def engagement_level_condition(workspace, op: str, value) -> Q:
    from mailsoftly.tracking.models import Engagement

    if op not in ("eq", "neq"):
        raise SegmentError(_("Unknown operator “%(op)s” for the engagement level.") % {"op": op})
    level = _level(value)
    engaged = Engagement.objects.for_workspace(workspace).filter(contact_id__isnull=False)
    very = Q(pk__in=engaged.filter(very_interested=True).values("contact_id"))
    interested = Q(pk__in=engaged.filter(interested=True).values("contact_id"))
    if level == "very_interested":
        matched = very
    elif level == "interested":
        matched = interested & ~very
    else:
        matched = ~interested
    return matched if op == "eq" else ~matched
