"""Pacing and retrying calls: a token bucket per operation, backoff with jitter, bounded retries."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    """Amazon's usage plan, kept on our side so normal operation never provokes a 429.

    Tokens are spent when a request is sent, but refill only from the moment its response came
    back: a request may reach Amazon any time in between, and Amazon's bucket must never be
    emptier than ours.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(int(burst), 1)
        self._tokens = float(self.burst)
        self._clock, self._sleep = clock, sleep
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self) -> float:
        """Wait until a request may be sent; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill(self._clock())
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)
            waited += wait
            self.waited += wait

    def settle(self) -> None:
        """The response is back: refill from now on, not while the request was in flight."""
        with self._lock:
            self._stamp = max(self._stamp, self._clock())

    def empty(self) -> None:
        """Amazon said 429: whatever we thought, the bucket is empty now."""
        with self._lock:
            self._tokens = min(self._tokens, 0.0)
            self._stamp = self._clock()

    def set_rate(self, rate: float) -> None:
        """Follow the rate Amazon announces (x-amzn-RateLimit-Limit) for this operation."""
        if rate > 0:
            with self._lock:
                self._refill(self._clock())
                self.rate = rate


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry throttled, failed and timed-out calls."""

    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    total_seconds: float = 600.0
    jitter: float = 0.5  # each delay varies by up to ±50%

    def delay(
        self, attempt: int, *, at_least: float = 0.0, rng: random.Random | None = None
    ) -> float:
        """The pause before retry number `attempt` (1 = first retry)."""
        base = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return max(at_least, base * spread)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How a report is polled until Amazon has processed it."""

    first: float = 0.5
    factor: float = 2.0
    longest: float = 30.0
    give_up_after: float = 3600.0

    def intervals(self) -> list[float]:
        out, wait, total = [], self.first, 0.0
        while total < self.give_up_after:
            out.append(wait)
            total += wait
            wait = min(self.longest, wait * self.factor)
        return out
