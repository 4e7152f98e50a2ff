"""Deterministic time for retry tests: a clock that only moves when the client sleeps."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A monotonic clock for ``SkyvernClient(clock=...)``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """An ``asyncio.sleep`` stand-in for ``SkyvernClient(sleep=...)``.

    It records every delay, advances ``clock`` by it, and never really waits.
    """

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.calls: list[float] = []
        self.clock = clock

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)
        if self.clock is not None:
            self.clock.advance(delay)
        await asyncio.sleep(0)
