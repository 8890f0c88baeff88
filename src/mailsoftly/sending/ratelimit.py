"""A sliding-window rate limit: at most ``rate`` events in any window of ``per`` seconds."""

from __future__ import annotations

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
