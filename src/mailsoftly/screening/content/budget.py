"""A cooperative time budget: long loops call ``check()``; running out raises.

The budget counts the CPU time of the thread doing the check, not the wall clock: it is
there to stop content built to make a check run away (a pathological regex, endless
nesting), and the same content must get the same verdict on a quiet machine and on one
where other processes, or other threads of this one, take the cores.
"""

from __future__ import annotations

import time


class DeadlineExceeded(Exception):
    pass


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.thread_time()

    def elapsed(self) -> float:
        return time.thread_time() - self.started

    def expired(self) -> bool:
        return self.elapsed() > self.seconds

    def check(self) -> None:
        if self.expired():
            raise DeadlineExceeded
