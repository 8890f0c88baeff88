"""Rate limits for SMTP servers.

* :class:`SlidingWindow`: at most ``rate`` events in any window of ``per`` seconds, in
  one process.
* :class:`RedisTokenBucket`: one limit shared by every worker process on every machine.
* :func:`limiter_for`: the one a messenger should use for a given server.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self,
        rate: int,
        per: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._sleep = sleep
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more event fits in the window; returns the seconds waited."""
        if self.rate <= 0:  # 0 means unlimited
            return 0.0
        waited = 0.0
        # Holding the lock while sleeping is intended: the next caller would wait anyway,
        # and it keeps the callers in arrival order.
        with self._lock:
            while True:
                now = self._clock()
                while self._events and self._events[0] <= now - self.per:
                    self._events.popleft()
                if len(self._events) < self.rate:
                    self._events.append(now)
                    return waited
                delay = self._events[0] + self.per - now
                self._sleep(delay)
                waited += delay


# A token bucket kept in Redis, shared by every worker process on every machine. The
# clock is Redis's own (TIME), so machines whose clocks disagree still share one rate;
# tests may pass their own clock instead. Returns 0 when a token was taken, else the
# milliseconds to wait before asking again.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return wait
"""


class RedisTokenBucket:
    """At most ``rate`` events per second on average across all holders of ``key``, with
    bursts of at most ``burst`` (a tenth of a second's worth by default)."""

    def __init__(
        self,
        client,
        key: str,
        rate: int,
        *,
        burst: int | None = None,
        clock_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        fallback: SlidingWindow | None = None,
    ) -> None:
        self.client = client
        self.key = key
        self.rate = rate
        self.burst = burst if burst is not None else max(1, rate // 10)
        self._clock_ms = clock_ms
        self._sleep = sleep
        self._script = client.register_script(_BUCKET_LUA)
        self._fallback = fallback or SlidingWindow(rate)

    def try_acquire(self) -> int:
        """Take a token if one is there: 0, else the milliseconds to wait."""
        now = self._clock_ms() if self._clock_ms is not None else -1
        return int(self._script(keys=[self.key], args=[self.rate, self.burst, now]))

    def acquire(self) -> float:
        """Wait until a token is taken; returns the seconds waited."""
        import redis

        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            try:
                wait_ms = self.try_acquire()
            except redis.RedisError:
                # Redis unreachable: keep this process under the rate rather than stop.
                return waited + self._fallback.acquire()
            if wait_ms <= 0:
                return waited
            self._sleep(wait_ms / 1000)
            waited += wait_ms / 1000


_local: dict[str, SlidingWindow] = {}
_local_lock = threading.Lock()


def limiter_for(*, key: str, rate: int):
    """The rate limit of one SMTP server, shared as widely as the deployment allows:
    across every worker through Redis when ``REDIS_URL`` is set, else across the
    messengers of this process (the embedded default runs one worker process)."""
    if rate <= 0:
        return SlidingWindow(0)
    with _local_lock:
        local = _local.get(key)
        if local is None or local.rate != rate:
            local = _local[key] = SlidingWindow(rate)
    client = _redis()
    if client is None:
        return local
    return RedisTokenBucket(client, f"mailsoftly:smtp-rate:{key}", rate, fallback=local)


def _redis():
    from mailsoftly.config import env

    url = env.get().redis_url
    if not url:
        return None
    return _redis_client(url)


@functools.cache
def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
