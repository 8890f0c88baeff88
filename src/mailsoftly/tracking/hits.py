"""The two hot paths, shared by the Django views and the WSGI fast path.

With Redis, an open or a click is one line written to this process's spool
(:mod:`mailsoftly.tracking.spool`), shipped to the Redis stream in batches that apply the
open flood cap; a click first reads its link from a small per-process memo (links never
change once written) or, on a miss, with one indexed read. Without Redis (the embedded
default) the event is written to the database at once. Neither ever raises because of
the event store: the pixel always answers and a valid click always redirects.

The request's address and agent are judged here (:func:`machines.agent_reason`) and only
the verdict goes into the event; the address and agent themselves go into the spool, the
stream and the database only when the email collects IP addresses (P37). The open cap
counts per delivery and a keyed hash of the address, never the address itself.

``db_scope`` wraps whatever reads or writes the database: the WSGI fast path, which skips
Django's request cycle, passes one that sends its request signals (they recycle database
connections), so a request that never touches the database pays nothing for them.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from mailsoftly.core import clock
from mailsoftly.tracking import machines, recorder, spool, tokens
from mailsoftly.tracking.models import EventKind, Link

logger = logging.getLogger(__name__)

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PIXEL_HEADERS = (
    ("Content-Type", "image/gif"),
    ("Cache-Control", "no-cache, no-store, must-revalidate, private, max-age=0"),
    ("Pragma", "no-cache"),
    ("Expires", "0"),
)
OPENS_PER_DELIVERY_AND_IP_PER_HOUR = 20


@functools.lru_cache(maxsize=4)
def _cap_secret(secret: str) -> bytes:
    return hashlib.sha256(f"mailsoftly.tracking.open-cap{secret}".encode()).digest()[:32]


def open_cap_key(region: str, delivery_id: int, ip: str | None) -> str:
    """Opens are capped per delivery and address, so a flood never hides anyone else's.
    The key (written to the spool and to Redis) holds a keyed hash, not the address."""
    mac = hashlib.blake2b(
        (ip or "").encode(), key=_cap_secret(settings.SECRET_KEY), digest_size=8
    ).hexdigest()
    return f"trk:o:{region}:{delivery_id}:{mac}"


def _hit_event(kind: str, *, ip: str | None, user_agent: str, collect_ip: bool, **fields) -> dict:
    """The event for one hit: the machine verdict always, the address and agent only
    when the email collects them."""
    event = {
        "kind": kind,
        **fields,
        "at": clock.now().isoformat(),
        "machine": machines.agent_reason(kind=kind, ip=ip, user_agent=user_agent),
    }
    if collect_ip:
        event["ip"] = ip
        event["ua"] = user_agent[:512]
    return event


def _flooding(target: tokens.Target, ip: str | None) -> bool:
    """Past a few opens of one delivery from one address an hour, stop recording."""
    key = open_cap_key(target.region, target.delivery_id, ip)
    try:
        if cache.add(key, 1, timeout=3600):
            return False
        return cache.incr(key) > OPENS_PER_DELIVERY_AND_IP_PER_HOUR
    except Exception:
        return False


def _spooled(event: dict, cap_key: str = "") -> bool:
    """With Redis, hand the event to this process's spool; False to record it directly."""
    if recorder._client() is None:
        return False
    try:
        spool.append(event, cap_key=cap_key)
    except OSError:
        logger.warning("tracking spool not writable; recording the event directly")
        return False
    return True


def open_hit(
    token: str,
    *,
    ip: str | None,
    user_agent: str,
    db_scope: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> None:
    """Record an open for a valid token; anything else is ignored."""
    target = tokens.read(token, kind="open")
    if target is None:
        return
    event = _hit_event(
        EventKind.OPEN.value,
        ip=ip,
        user_agent=user_agent,
        collect_ip=target.collect_ip,
        region=target.region,
        delivery_id=target.delivery_id,
    )
    cap_key = open_cap_key(target.region, target.delivery_id, ip)
    if _spooled(event, cap_key):
        return
    event = recorder.new_event(**event)
    with db_scope():
        capped = recorder.record_capped(
            event, cap_key=cap_key, cap=OPENS_PER_DELIVERY_AND_IP_PER_HOUR, window_s=3600
        )
        if capped is None and not _flooding(target, ip):  # no Redis: the cache counts
            recorder.record(event)


# link id -> (url, is_honeypot, collects_ip, expires): a link's row never changes once
# written (its email's "collect IP addresses" switch may, within the expiry), so a
# short memo per process spares the database on most clicks. The expiry bounds how long
# a purged campaign's links keep redirecting in a long-lived worker. PostgreSQL only:
# SQLite can hand a deleted row's id to a new row, which the memo would then misdirect.
_LINKS: dict[tuple[str, int], tuple[str, bool, bool, float]] = {}
LINK_MEMO_SECONDS = 300
LINK_MEMO_SIZE = 20_000


def _memo_allowed(region: str) -> bool:
    from django.db import connections

    from mailsoftly.core.regions import REGION_DATABASES, Region

    return connections[REGION_DATABASES[Region(region)]].vendor == "postgresql"


def _link(region: str, link_id: int) -> tuple[str, bool, bool] | None:
    found = _memoized(region, link_id)
    if found is not None:
        return found
    row = (
        Link.objects.dangerously_all_workspaces(region)
        .filter(pk=link_id)
        .values_list("url", "is_honeypot", "campaign__design__collect_ip_addresses")
        .first()
    )
    if row is None or not _memo_allowed(region):
        return row
    if len(_LINKS) >= LINK_MEMO_SIZE:
        _LINKS.clear()
    row = (row[0], row[1], bool(row[2]))
    _LINKS[(region, link_id)] = (*row, time.monotonic() + LINK_MEMO_SECONDS)
    return row


def _link_anywhere(region: str, link_id: int) -> tuple[str, tuple[str, bool, bool]] | None:
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


def _memoized(region: str, link_id: int) -> tuple[str, bool, bool] | None:
    found = _LINKS.get((region, link_id))
    if found is not None and found[3] > time.monotonic():
        return found[:3]
    return None


def click_hit(
    token: str,
    *,
    ip: str | None,
    user_agent: str,
    db_scope: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> str | None:
    """The destination to redirect to (after recording the click), or None for a 404."""
    target = tokens.read(token, kind="click")
    if target is None:
        return None
    link = _memoized(target.region, target.link_id)
    if link is not None:
        found = target.region, link
    else:
        with db_scope():
            found = _link_anywhere(target.region, target.link_id)
    if found is None:
        return None
    region, (url, is_honeypot, collect_ip) = found
    event = _hit_event(
        EventKind.CLICK.value,
        ip=ip,
        user_agent=user_agent,
        collect_ip=collect_ip,
        region=region,
        delivery_id=target.delivery_id,
        link_id=target.link_id,
    )
    if not _spooled(event):
        with db_scope():
            recorder.record(recorder.new_event(**event))
    if is_honeypot or not url.lower().startswith(("http://", "https://")):
        return None
    # Exactly the stored URL: none of the destination's parameters removed, none added.
    return url
