"""Recording tracking events without holding the request on a slow write.

With Redis configured, an event is appended to a Redis stream (the open and click
endpoints go through a local spool that ships batches to it, see
:mod:`mailsoftly.tracking.spool`) and a worker drains the stream in batches into the database. Entries are acknowledged
and deleted only after their batch is committed, so a worker killed mid-batch leaves them
pending, and the next drain claims them: nothing is lost, and ingestion is idempotent by
event key, so nothing is counted twice.

The embedded default has no Redis: the endpoint ingests the event directly.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import cache

from mailsoftly.config import env

logger = logging.getLogger(__name__)

STREAM = "mailsoftly:tracking:events"
GROUP = "ingest"
CLAIM_IDLE_MS = 60_000


@cache
def _client():
    url = env.get().redis_url
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def ensure_group(client) -> None:
    import redis

    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def new_event(**fields) -> dict:
    return {"key": uuid.uuid4().hex, **fields}


def record(event: dict) -> None:
    """Store one event durably, or log why it could not be. Never raises."""
    client = _client()
    if client is not None:
        try:
            client.xadd(STREAM, {"e": json.dumps(event)})
            return
        except Exception:
            logger.warning("tracking stream unavailable; writing the event directly")
    from mailsoftly.tracking.services import events_ingest

    try:
        events_ingest(events=[event])
    except Exception:
        logger.exception("tracking event could not be recorded", extra={"event_key": event["key"]})


# One round trip for the hot path: count the (delivery, address) pair, and append the
# event only while the count is within the cap.
_CAPPED_APPEND = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1
"""


@cache
def _capped_append(client):
    # Sent once, then called by its digest (EVALSHA): the script text is not resent.
    return client.register_script(_CAPPED_APPEND)


def record_capped(event: dict, *, cap_key: str, cap: int, window_s: int) -> bool | None:
    """Append ``event`` unless ``cap_key`` has been seen ``cap`` times in the window.

    Returns None when there is no Redis (the caller then applies its own cap).
    """
    client = _client()
    if client is None:
        return None
    try:
        return bool(
            _capped_append(client)(keys=[cap_key, STREAM], args=[cap, window_s, json.dumps(event)])
        )
    except Exception:
        logger.warning("tracking stream unavailable; writing the event directly")
        record(event)
        return True


def drain(
    *,
    consumer: str = "worker",
    batch: int = 2000,
    max_batches: int = 50,
    claim_idle_ms: int = CLAIM_IDLE_MS,
) -> int:
    """Move buffered events into the database. Returns how many entries were read.

    Each batch is one transaction: its events inserted together and the counters moved
    by one UPDATE per campaign, link and hour. Its entries are acknowledged and deleted
    (one pipelined round trip) only after that commit.
    """
    from mailsoftly.tracking import spool
    from mailsoftly.tracking.services import events_ingest

    client = _client()
    if client is None:
        return 0
    try:
        # This process's spooled hits, and those of any dead process on this machine.
        spool.flush()
    except Exception:
        logger.exception("tracking spool not shipped before the drain; will retry")
    ensure_group(client)
    done = 0
    claiming = True
    for _ in range(max_batches):
        entries = []
        if claiming:
            # First take over what a dead consumer left pending, then read new entries.
            _, entries, *_ = client.xautoclaim(
                STREAM, GROUP, consumer, min_idle_time=claim_idle_ms, start_id="0-0", count=batch
            )
            claiming = bool(entries)
        if not entries:
            read = client.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=batch)
            entries = read[0][1] if read else []
        if not entries:
            break
        keys: dict[bytes, str | None] = {}
        events = []
        for entry_id, fields in entries:
            keys[entry_id] = None
            try:
                events.append(json.loads(fields[b"e"]))
                keys[entry_id] = events[-1].get("key")
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("tracking stream entry without a readable event dropped")
        # Events of a workspace moving region stay pending (claimed again later); the
        # rest of the batch goes through.
        held: set[str] = set()
        events_ingest(events=events, held=held)
        ids = [entry_id for entry_id, key in keys.items() if key is None or key not in held]
        if ids:
            pipe = client.pipeline(transaction=False)
            pipe.xack(STREAM, GROUP, *ids)
            pipe.xdel(STREAM, *ids)
            pipe.execute()
        done += sum(1 for key in keys.values() if key is not None and key not in held)
    return done
