"""Watching one run until it ends: adaptive polling, backoff on errors, Retry-After.

A :class:`RunWatcher` polls ``GET /v1/runs/{id}``: quickly at first, then settling at
``max_interval`` (5 s). When the server cannot be reached it says "reconnecting…", backs
off exponentially with jitter (or as long as a 429's Retry-After asks) and carries on by
itself; it never gives up on a run because of the network. A status it does not know is
not terminal. Once the run has ended it reads it a few more times until the recording is
final: a local server swaps the ``.webm`` for an ``.mp4`` shortly after the end.
No Qt here: the UI passes callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from ...api.errors import NetworkError, NotFoundError, ProtocolError, RateLimitedError, ServerError

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse

log = logging.getLogger(__name__)


class WatchState(StrEnum):
    WATCHING = "watching"
    RECONNECTING = "reconnecting"
    FINISHED = "finished"
    GONE = "gone"  # the server says there is no such run


@dataclass(frozen=True)
class WatchPolicy:
    first_interval: float = 0.5
    max_interval: float = 5.0
    growth: float = 1.6
    error_base: float = 1.0
    error_max: float = 30.0
    final_reads: int = 10
    """How many more times a finished run is read while its recording is not final."""
    final_interval: float = 1.0
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def next_interval(self, current: float) -> float:
        return min(self.max_interval, current * self.growth)

    def error_delay(self, failures: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.error_max * 4)
        return backoff(failures, self.error_base, 2.0, self.error_max, self.rand)


def backoff(
    failures: int, first: float, growth: float, ceiling: float, rand: Callable[[], float]
) -> float:
    """The pause after ``failures`` failures in a row: ``first`` growing by ``growth`` up to
    ``ceiling``, with "equal jitter" (between half and all of it: never a tight loop)."""
    top = min(ceiling, first * growth ** max(0, failures - 1))
    return top / 2 + rand() * top / 2


def recording_is_final(run: RunResponse) -> bool:
    url = run.recording_url
    return url is None or not url.lower().split("?", 1)[0].endswith(".webm")


UpdateCallback = Callable[["RunResponse"], None]
StateCallback = Callable[[WatchState, str], None]


class RunWatcher:
    def __init__(
        self,
        client: SkyvernClient,
        run_id: str,
        *,
        on_update: UpdateCallback,
        on_state: StateCallback | None = None,
        policy: WatchPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.run_id = run_id
        self._on_update = on_update
        self._on_state = on_state or (lambda state, message: None)
        self.policy = policy or WatchPolicy()
        self._sleep = sleep
        self.state = WatchState.WATCHING
        self.requests = 0
        self.last: RunResponse | None = None

    def _set_state(self, state: WatchState, message: str = "") -> None:
        if state is not self.state or message:
            self.state = state
            self._on_state(state, message)

    async def _read(self) -> RunResponse:
        self.requests += 1
        run = await self.client.get_run(self.run_id)
        self.last = run
        self._on_update(run)
        return run

    async def watch(self) -> RunResponse | None:
        """Poll until the run ends (returns it) or the server says it does not exist (None)."""
        interval = self.policy.first_interval
        failures = 0
        while True:
            try:
                run = await self._read()
            except NotFoundError:
                self._set_state(WatchState.GONE, f"The server has no run {self.run_id}.")
                return None
            except (NetworkError, ServerError, RateLimitedError, ProtocolError) as exc:
                failures += 1
                retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
                delay = self.policy.error_delay(failures, retry_after)
                self._set_state(WatchState.RECONNECTING, f"Reconnecting… ({exc})")
                log.info("watching %s: %s; next try in %.1fs", self.run_id, exc, delay)
                await self._sleep(delay)
                continue
            if failures:
                failures = 0
                interval = self.policy.first_interval
            self._set_state(WatchState.WATCHING)
            if run.is_terminal:
                break
            await self._sleep(interval)
            interval = self.policy.next_interval(interval)
        for _ in range(self.policy.final_reads):
            if recording_is_final(run):
                break
            await self._sleep(self.policy.final_interval)
            try:
                run = await self._read()
            except (NetworkError, ServerError, RateLimitedError, ProtocolError, NotFoundError):
                break
        self._set_state(WatchState.FINISHED)
        return run
