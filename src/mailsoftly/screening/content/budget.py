"""A cooperative time budget: long loops call ``check()``; running out raises."""

from __future__ import annotations

import time


class DeadlineExceeded(Exception):
    pass


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def expired(self) -> bool:
        return self.elapsed() > self.seconds

    def check(self) -> None:
        if self.expired():
            raise DeadlineExceeded
