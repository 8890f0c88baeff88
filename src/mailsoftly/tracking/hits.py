"""The two hot paths, shared by the Django views and the WSGI fast path.

Each does at most one indexed read (the click's link), one cache round trip (the open
flood cap) and one append to the event buffer, and never raises because of the event
store: the pixel always answers and a valid click always redirects.
"""

from __future__ import annotations

import base64

from django.core.cache import cache

from mailsoftly.core import clock
from mailsoftly.tracking import recorder, tokens
from mailsoftly.tracking.models import EventKind, Link

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PIXEL_HEADERS = (
    ("Content-Type", "image/gif"),
    ("Cache-Control", "no-cache, no-store, must-revalidate, private, max-age=0"),
    ("Pragma", "no-cache"),
    ("Expires", "0"),
)
OPENS_PER_DELIVERY_AND_IP_PER_HOUR = 20


def _flooding(target: tokens.Target, ip: str | None) -> bool:
    """Past a few opens of one delivery from one address an hour, stop recording.

    Keyed by delivery and address, so a flood never hides the first open of anyone else.
    """
    key = f"trk:o:{target.region}:{target.delivery_id}:{ip}"
    try:
        if cache.add(key, 1, timeout=3600):
            return False
        return cache.incr(key) > OPENS_PER_DELIVERY_AND_IP_PER_HOUR
    except Exception:
        return False


def open_hit(token: str, *, ip: str | None, user_agent: str) -> None:
    """Record an open for a valid token; anything else is ignored."""
    target = tokens.read(token, kind="open")
    if target is None or _flooding(target, ip):
        return
    recorder.record(
        recorder.new_event(
            kind=EventKind.OPEN,
            region=target.region,
            delivery_id=target.delivery_id,
            at=clock.now().isoformat(),
            ip=ip,
            ua=user_agent[:512],
        )
    )


def click_hit(token: str, *, ip: str | None, user_agent: str) -> str | None:
    """The destination to redirect to (after recording the click), or None for a 404."""
    target = tokens.read(token, kind="click")
    if target is None:
        return None
    link = (
        Link.objects.dangerously_all_workspaces(target.region)
        .filter(pk=target.link_id)
        .only("url", "is_honeypot")
        .first()
    )
    if link is None:
        return None
    recorder.record(
        recorder.new_event(
            kind=EventKind.CLICK,
            region=target.region,
            delivery_id=target.delivery_id,
            link_id=link.pk,
            at=clock.now().isoformat(),
            ip=ip,
            ua=user_agent[:512],
        )
    )
    if link.is_honeypot or not link.url.lower().startswith(("http://", "https://")):
        return None
    # Exactly the stored URL: none of the destination's parameters removed, none added.
    return link.url
