"""One rate limit per SMTP server shared by every sender: a Redis token bucket across
workers, or one sliding window per process in the embedded mode. Clocks are simulated:
the tests count the waits the limit imposes, never wall time."""

from __future__ import annotations

import itertools
import uuid

import pytest

from mailsoftly.sending import ratelimit, routing
from mailsoftly.sending import services as sending_services


class SimulatedTime:
    """A clock shared by the simulated workers; sleeping moves it on."""

    def __init__(self) -> None:
        self.ms = 1_000_000

    def clock_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


def _redis(url):
    import redis

    return redis.Redis.from_url(url)


def test_two_senders_on_redis_share_one_limit(redis_url):
    """Two workers (two Redis connections) alternate; together they stay at 10/s."""
    sim = SimulatedTime()
    key = f"test:smtp-rate:{uuid.uuid4().hex}"
    workers = [
        ratelimit.RedisTokenBucket(
            _redis(redis_url), key, 10, burst=1, clock_ms=sim.clock_ms, sleep=sim.sleep
        )
        for _ in range(2)
    ]
    moments = []
    for turn in range(40):
        workers[turn % 2].acquire()
        moments.append(sim.ms)
    span_ms = moments[-1] - moments[0]
    # 40 messages at 10/s with a burst of 1: 39 gaps of 100 ms, whichever worker sent.
    assert span_ms >= 3900
    assert all(b - a >= 100 for a, b in itertools.pairwise(moments))
    # Each on its own bucket would have let both send at once at every step.
    alone = ratelimit.RedisTokenBucket(
        _redis(redis_url), key + ":alone", 10, burst=1, clock_ms=sim.clock_ms
    )
    assert alone.try_acquire() == 0
    assert workers[0].try_acquire() > 0  # the shared bucket is empty at this moment


def test_a_burst_then_the_steady_rate(redis_url):
    sim = SimulatedTime()
    bucket = ratelimit.RedisTokenBucket(
        _redis(redis_url),
        f"test:smtp-rate:{uuid.uuid4().hex}",
        100,
        burst=10,
        clock_ms=sim.clock_ms,
        sleep=sim.sleep,
    )
    waits = [bucket.try_acquire() for _ in range(11)]
    assert waits[:10] == [0] * 10 and waits[10] == 10  # the 11th waits 1/100 s
    sim.sleep(0.5)  # half a second refills the burst, never more than the burst
    assert [bucket.try_acquire() for _ in range(11)].count(0) == 10


def test_redis_unreachable_falls_back_to_the_process_limit():
    import redis

    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    sim = SimulatedTime()
    fallback = ratelimit.SlidingWindow(1, clock=lambda: sim.ms / 1000, sleep=lambda s: sim.sleep(s))
    bucket = ratelimit.RedisTokenBucket(client, "k", 1, fallback=fallback, sleep=sim.sleep)
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(1.0)  # the second waited a (simulated) second


def test_messengers_for_one_server_share_its_limit(workspace):
    server = sending_services.smtp_server_create(
        workspace=workspace,
        name="Limited",
        host="127.0.0.1",
        port=2525,
        security="none",
        rate_limit_per_second=50,
        max_connections=1,
    )
    first = routing.messenger_for(workspace=workspace, server=server)
    second = routing.messenger_for(workspace=workspace, server=server)
    try:
        if isinstance(first._limiter, ratelimit.RedisTokenBucket):
            assert first._limiter.key == second._limiter.key
            assert first._limiter.rate == 50
        else:  # embedded: one limit per server in this process
            assert first._limiter is second._limiter
            assert first._limiter.rate == 50
    finally:
        first.close()
        second.close()


def test_unlimited_server_has_no_limit(workspace):
    server = sending_services.smtp_server_create(
        workspace=workspace, name="Open", host="127.0.0.1", port=2525, security="none"
    )
    messenger = routing.messenger_for(workspace=workspace, server=server)
    try:
        assert messenger._limiter.acquire() == 0.0
        assert messenger._limiter.rate == 0
    finally:
        messenger.close()
