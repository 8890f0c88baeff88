"""The SMTP messenger against a real aiosmtpd server, and the sliding-window limit."""

from __future__ import annotations

import pytest

from mailsoftly.sending.messengers import Outcome, SmtpConfig, SmtpMessenger
from mailsoftly.sending.mime import Skeleton
from mailsoftly.sending.ratelimit import SlidingWindow


def _skeleton():
    return Skeleton(
        from_name="Shop", from_email="shop@example.com", list_id="l <l.x>", feedback_id="f"
    )


def _envelope(skeleton, key, to):
    return skeleton.build(
        key=key,
        to_name="",
        to_email=to,
        subject=f"Message {key}",
        text="hello",
        html="<p>hello</p>",
        message_id=f"<{key}@example.com>",
        unsubscribe_url="https://x.example/u",
    )


def test_pool_delivers_every_message_once_over_persistent_connections(smtp_server):
    messenger = SmtpMessenger(
        SmtpConfig(host=smtp_server.host, port=smtp_server.port, max_connections=3)
    )
    skeleton = _skeleton()
    try:
        for key in range(1, 31):
            messenger.push(_envelope(skeleton, key, f"r{key}@example.org"))
        results = messenger.flush()
    finally:
        messenger.close()
    assert sorted(r.key for r in results) == list(range(1, 31))
    assert {r.outcome for r in results} == {Outcome.SENT}
    received = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert received == sorted(f"r{key}@example.org" for key in range(1, 31))
    assert smtp_server.messages[0].message["Subject"].startswith("Message ")


def test_unreachable_server_gives_retry_with_connection_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    messenger = SmtpMessenger(SmtpConfig(host="127.0.0.1", port=port, max_connections=1, timeout=2))
    try:
        messenger.push(_envelope(_skeleton(), 1, "a@example.org"))
        (result,) = messenger.flush()
    finally:
        messenger.close()
    assert result.outcome == Outcome.RETRY
    assert result.connection_error


@pytest.mark.parametrize(("code", "expected"), [(550, Outcome.BOUNCED), (450, Outcome.RETRY)])
def test_recipient_refusals_are_classified(smtp_server, code, expected):
    from aiosmtpd.handlers import AsyncMessage  # noqa: F401  (aiosmtpd is present)

    async def handle_RCPT(server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return f"{code} 5.1.1 no such user" if code >= 500 else f"{code} 4.2.1 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = handle_RCPT
    messenger = SmtpMessenger(
        SmtpConfig(host=smtp_server.host, port=smtp_server.port, max_connections=1)
    )
    skeleton = _skeleton()
    try:
        messenger.push(_envelope(skeleton, 1, "bad@example.org"))
        messenger.push(_envelope(skeleton, 2, "good@example.org"))
        results = {r.key: r for r in messenger.flush()}
    finally:
        messenger.close()
    assert results[1].outcome == expected
    assert results[1].code == code
    assert results[2].outcome == Outcome.SENT
    assert [m.rcpt_tos for m in smtp_server.messages] == [["good@example.org"]]


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_sliding_window_allows_rate_per_window_then_waits():
    clock = FakeClock()
    window = SlidingWindow(3, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert window.acquire() == 0.0
    clock.now = 0.25
    assert window.acquire() == pytest.approx(0.75)
    assert clock.now == pytest.approx(1.0)
    # In any one-second window there were never more than three events.
    assert clock.slept == [pytest.approx(0.75)]


def test_sliding_window_zero_means_unlimited():
    clock = FakeClock()
    window = SlidingWindow(0, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        window.acquire()
    assert clock.slept == []


def test_drain_waits_for_outcomes_so_the_engine_can_checkpoint_mid_batch(smtp_server):
    messenger = SmtpMessenger(
        SmtpConfig(host=smtp_server.host, port=smtp_server.port, max_connections=2)
    )
    skeleton = _skeleton()
    try:
        for key in range(1, 6):
            messenger.push(_envelope(skeleton, key, f"r{key}@example.org"))
        first = messenger.drain(at_least=5, wait=30)
        assert sorted(r.key for r in first) == [1, 2, 3, 4, 5]
        assert messenger.pending() == 0
        assert messenger.flush() == []  # nothing reported twice
    finally:
        messenger.close()
