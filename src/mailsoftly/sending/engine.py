"""The send engine, in the manner of listmonk's manager: it sees the rest of the system
through two narrow interfaces.

* a :class:`Store` hands out claimed batches of recipients and records outcomes;
* a :class:`~mailsoftly.sending.messengers.Messenger` pushes envelopes and flushes outcomes.

The engine composes each recipient's message (the caller's ``compose``), pushes it, and
checkpoints outcomes into the store every ``checkpoint`` messages and at the end of each
batch. It stops when the store says the campaign is no longer sending (paused, cancelled)
and pauses the campaign itself on too many consecutive connection errors or too high an
error rate in a sliding window of recent outcomes.

Nothing here touches the database or the network directly, so the engine is tested with
in-memory fakes and the real store and messengers are tested on their own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailsoftly.sending.messengers import Messenger, Outcome, Result
from mailsoftly.sending.mime import Envelope


class ComposeError(ValueError):
    """One recipient's message cannot be built (e.g. a merge tag failed); it is failed."""


@dataclass(frozen=True)
class Recipient:
    key: int  # the delivery id
    email: str
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    def next_batch(self, limit: int) -> list[Recipient]:
        """Claim up to ``limit`` recipients nobody else holds. Empty when none is left."""
        ...

    def record(self, results: list[Result]) -> None:
        """Write outcomes of claimed recipients (sent, retry later, bounced, failed)."""
        ...

    def is_running(self) -> bool: ...

    def pause(self, reason: str) -> None: ...

    def update_counts(self) -> None: ...


@dataclass(frozen=True)
class Limits:
    batch_size: int = 200
    checkpoint: int = 25
    checkpoint_seconds: float = 0.25
    max_consecutive_connection_errors: int = 10
    error_window: int = 100
    error_rate_threshold: float = 0.5
    error_min_sample: int = 20


@dataclass
class Report:
    pushed: int = 0
    sent: int = 0
    retry: int = 0
    bounced: int = 0
    failed: int = 0
    paused_reason: str = ""


class _Health:
    """Consecutive connection errors and the error rate over the last N outcomes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.consecutive = 0
        self.last_connection_error = ""
        self.window: deque[bool] = deque(maxlen=limits.error_window)

    def see(self, result: Result) -> None:
        if result.connection_error:
            self.consecutive += 1
            self.last_connection_error = result.detail
        elif result.outcome == Outcome.SENT:
            self.consecutive = 0
        # A hard bounce says something about the address, not about our sending.
        self.window.append(result.outcome in (Outcome.RETRY, Outcome.FAILED))

    def verdict(self) -> str:
        if self.consecutive >= self.limits.max_consecutive_connection_errors:
            return (
                f"{self.consecutive} connection errors in a row; the last one was: "
                f"{self.last_connection_error}"
            )
        if len(self.window) >= self.limits.error_min_sample:
            rate = sum(self.window) / len(self.window)
            if rate > self.limits.error_rate_threshold:
                return (
                    f"{rate:.0%} of the last {len(self.window)} messages failed, above the "
                    f"{self.limits.error_rate_threshold:.0%} threshold"
                )
        return ""


def run(
    *,
    store: Store,
    messenger: Messenger,
    compose: Callable[[Recipient], Envelope],
    limits: Limits = Limits(),
) -> Report:
    """Send until the store has nothing left or the campaign stops. Returns what happened."""
    report = Report()
    health = _Health(limits)

    def record(results: list[Result]) -> str:
        if not results:
            return ""
        store.record(results)
        for result in results:
            setattr(report, result.outcome.value, getattr(report, result.outcome.value) + 1)
            health.see(result)
        return health.verdict()

    try:
        while store.is_running():
            batch = store.next_batch(limits.batch_size)
            if not batch:
                break
            verdict = ""
            unbuildable: list[Result] = []
            for index, recipient in enumerate(batch, start=1):
                try:
                    envelope = compose(recipient)
                except ComposeError as exc:
                    unbuildable.append(Result(recipient.key, Outcome.FAILED, None, str(exc)))
                    continue
                messenger.push(envelope)
                report.pushed += 1
                if index % limits.checkpoint == 0:
                    verdict = record(messenger.drain()) or verdict
            # Checkpoint while the pool finishes the batch, so a crash re-sends at most
            # the outcomes of the last ``checkpoint`` messages or ``checkpoint_seconds``.
            while messenger.pending():
                verdict = (
                    record(
                        messenger.drain(at_least=limits.checkpoint, wait=limits.checkpoint_seconds)
                    )
                    or verdict
                )
            verdict = record(messenger.flush() + unbuildable) or verdict
            if verdict:
                report.paused_reason = verdict
                store.pause(verdict)
                break
    finally:
        # Whatever the exit, outcomes the messenger already has are written down.
        record(messenger.flush())
        store.update_counts()
    return report
