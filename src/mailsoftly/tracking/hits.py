"""The two hot paths, shared by the Django views and the WSGI fast path.

With Redis, an open is one round trip (a script that counts the flood cap and appends
the event) and a click is one append, after reading its link from a small per-process
memo (links never change once written) or, on a miss, one indexed read. Neither ever
raises because of the event store: the pixel always answers and a valid click always
redirects.
"""

from __future__ import annotations

import base64
import time

from django.core.cache import cache
from django.db import DatabaseError

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
    if target is None:
        return
    event = recorder.new_event(
        kind=EventKind.OPEN,
        region=target.region,
        delivery_id=target.delivery_id,
        at=clock.now().isoformat(),
        ip=ip,
        ua=user_agent[:512],
    )
    capped = recorder.record_capped(
        event,
        cap_key=f"trk:o:{target.region}:{target.delivery_id}:{ip}",
        cap=OPENS_PER_DELIVERY_AND_IP_PER_HOUR,
        window_s=3600,
    )
    if capped is None and not _flooding(target, ip):  # no Redis: the cache counts
        recorder.record(event)


# link id -> (url, is_honeypot, expires): a link's row never changes once written, so a
# short memo per process spares the database on most clicks. The expiry bounds how long
# a purged campaign's links keep redirecting in a long-lived worker. PostgreSQL only:
# SQLite can hand a deleted row's id to a new row, which the memo would then misdirect.
_LINKS: dict[tuple[str, int], tuple[str, bool, float]] = {}
LINK_MEMO_SECONDS = 300
LINK_MEMO_SIZE = 20_000


def _memo_allowed(region: str) -> bool:
    from django.db import connections

    from mailsoftly.core.regions import REGION_DATABASES, Region

    return connections[REGION_DATABASES[Region(region)]].vendor == "postgresql"


def _link(region: str, link_id: int) -> tuple[str, bool] | None:
    now = time.monotonic()
    found = _LINKS.get((region, link_id))
    if found is not None and found[2] > now:
        return found[0], found[1]
    row = (
        Link.objects.dangerously_all_workspaces(region)
        .filter(pk=link_id)
        .values_list("url", "is_honeypot")
        .first()
    )
    if row is None or not _memo_allowed(region):
        return row
    if len(_LINKS) >= LINK_MEMO_SIZE:
        _LINKS.clear()
    _LINKS[(region, link_id)] = (row[0], row[1], now + LINK_MEMO_SECONDS)
    return row


def _link_anywhere(region: str, link_id: int) -> tuple[str, tuple[str, bool]] | None:
    """The link in the region its token names, else (mail sent before a region move: the
    row lives on under the same id in the new region) in the others."""
    from mailsoftly.core.regions import Region

    link = _link(region, link_id)
    if link is not None:
        return region, link
    for candidate in (r for r in Region.values if r != region):
        try:
            link = _link(candidate, link_id)
        except DatabaseError:  # another region being down must not fail this click
            continue
        if link is not None:
            return candidate, link
    return None


def click_hit(token: str, *, ip: str | None, user_agent: str) -> str | None:
    """The destination to redirect to (after recording the click), or None for a 404."""
    target = tokens.read(token, kind="click")
    if target is None:
        return None
    found = _link_anywhere(target.region, target.link_id)
    if found is None:
        return None
    region, (url, is_honeypot) = found
    recorder.record(
        recorder.new_event(
            kind=EventKind.CLICK,
            region=region,
            delivery_id=target.delivery_id,
            link_id=target.link_id,
            at=clock.now().isoformat(),
            ip=ip,
            ua=user_agent[:512],
        )
    )
    if is_honeypot or not url.lower().startswith(("http://", "https://")):
        return None
    # Exactly the stored URL: none of the destination's parameters removed, none added.
    return url
