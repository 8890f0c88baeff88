"""The engine against in-memory fakes of its two interfaces."""

from __future__ import annotations

from mailsoftly.sending import engine
from mailsoftly.sending.messengers import Outcome, Result
from mailsoftly.sending.mime import Envelope


class FakeStore:
    def __init__(self, n: int):
        self.queue = [engine.Recipient(key=i, email=f"r{i}@example.org") for i in range(1, n + 1)]
        self.recorded: list[Result] = []
        self.record_calls = 0
        self.running = True
        self.paused = ""
        self.counted = False

    def next_batch(self, limit):
        batch, self.queue = self.queue[:limit], self.queue[limit:]
        return batch

    def record(self, results):
        self.record_calls += 1
        self.recorded.extend(results)

    def is_running(self):
        return self.running

    def pause(self, reason):
        self.paused = reason
        self.running = False

    def update_counts(self):
        self.counted = True


class FakeMessenger:
    def __init__(self, outcome=Outcome.SENT, connection_error=False):
        self.outcome = outcome
        self.connection_error = connection_error
        self.done: list[Result] = []
        self.pushed: list[Envelope] = []

    def push(self, envelope):
        self.pushed.append(envelope)
        self.done.append(Result(envelope.key, self.outcome, None, "x", self.connection_error))

    def drain(self, *, at_least=0, wait=0.0):
        out, self.done = self.done, []
        return out

    def pending(self):
        return 0

    def flush(self):
        return self.drain()

    def close(self):
        pass


def compose(recipient):
    return Envelope(recipient.key, "from@example.com", recipient.email, b"data")


def test_every_recipient_is_pushed_once_and_recorded():
    store, messenger = FakeStore(55), FakeMessenger()
    report = engine.run(
        store=store, messenger=messenger, compose=compose, limits=engine.Limits(batch_size=20)
    )
    assert sorted(r.key for r in store.recorded) == list(range(1, 56))
    assert len(messenger.pushed) == 55
    assert report.sent == 55
    assert store.counted


def test_outcomes_are_checkpointed_within_a_batch():
    store, messenger = FakeStore(100), FakeMessenger()
    engine.run(
        store=store,
        messenger=messenger,
        compose=compose,
        limits=engine.Limits(batch_size=100, checkpoint=10),
    )
    # Ten checkpoints inside the batch, not one write at its end.
    assert store.record_calls >= 10


def test_consecutive_connection_errors_pause_the_campaign_with_a_reason():
    store = FakeStore(500)
    messenger = FakeMessenger(Outcome.RETRY, connection_error=True)
    report = engine.run(
        store=store,
        messenger=messenger,
        compose=compose,
        limits=engine.Limits(batch_size=50, max_consecutive_connection_errors=10),
    )
    assert "connection errors in a row" in store.paused
    assert report.paused_reason == store.paused
    assert len(messenger.pushed) == 50  # stopped after the first batch
    assert store.queue  # the rest stays for a resume


def test_high_error_rate_pauses_the_campaign():
    store = FakeStore(500)
    report = engine.run(
        store=store,
        messenger=FakeMessenger(Outcome.FAILED),
        compose=compose,
        limits=engine.Limits(batch_size=50),
    )
    assert "threshold" in report.paused_reason


def test_hard_bounces_alone_do_not_pause_the_campaign():
    store = FakeStore(100)
    report = engine.run(
        store=store,
        messenger=FakeMessenger(Outcome.BOUNCED),
        compose=compose,
        limits=engine.Limits(batch_size=50),
    )
    assert report.paused_reason == ""
    assert report.bounced == 100


def test_a_recipient_that_cannot_be_composed_is_failed_and_the_rest_go_out():
    store, messenger = FakeStore(5), FakeMessenger()

    def picky(recipient):
        if recipient.key == 3:
            raise engine.ComposeError("merge tag failed")
        return compose(recipient)

    engine.run(store=store, messenger=messenger, compose=picky)
    outcomes = {r.key: r.outcome for r in store.recorded}
    assert outcomes == {1: "sent", 2: "sent", 3: "failed", 4: "sent", 5: "sent"}


def test_engine_stops_when_the_store_says_the_campaign_is_paused():
    store, messenger = FakeStore(10), FakeMessenger()
    store.running = False
    engine.run(store=store, messenger=messenger, compose=compose)
    assert messenger.pushed == []


def test_a_pause_seen_mid_run_lets_at_most_the_claimed_batch_go_out():
    """Pausing takes effect at the next batch: the engine asks the store before each claim,
    so at most one batch (``batch_size`` messages, a fraction of a second at the measured
    rates in docs/performance.md) leaves after the pause."""
    store, messenger = FakeStore(1000), FakeMessenger()
    claim = store.next_batch

    def paused_while_this_batch_goes_out(limit):
        batch = claim(limit)
        store.running = False  # a person pressed pause after this claim
        return batch

    store.next_batch = paused_while_this_batch_goes_out
    report = engine.run(
        store=store, messenger=messenger, compose=compose, limits=engine.Limits(batch_size=50)
    )
    assert len(messenger.pushed) == 50
    assert report.sent == 50
    assert len(store.queue) == 950  # still queued for the resume
