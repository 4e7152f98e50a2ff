"""Retry policy for idempotent requests: exponential backoff, full jitter, a total budget."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How idempotent GETs are retried on network errors, 429 and 5xx.

    Attempt ``n`` (from 0) waits a random time in ``[0, min(max_delay, base * 2**n)]``
    ("full jitter"), or the server's ``Retry-After`` when it gave one. No retry is
    made once the next wait would pass ``total_budget`` seconds since the first try.
    Requests that start a run are never retried: see :class:`SkyvernClient`.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    total_budget: float = 30.0
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def backoff(self, attempt: int) -> float:
        jitter: float = self.rand()
        return jitter * min(self.max_delay, self.base_delay * (2.0**attempt))

    def next_delay(self, attempt: int, elapsed: float, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        if attempt + 1 >= self.max_attempts:
            return None
        delay = retry_after if retry_after is not None else self.backoff(attempt)
        if elapsed + delay > self.total_budget:
            return None
        return delay


NO_RETRY = RetryPolicy(max_attempts=1)
