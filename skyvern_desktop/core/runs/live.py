"""Keeping a run's live view connected: reconnect with backoff while the run goes on,
stop at the sign-off or when the run has ended. No Qt: the UI passes callbacks.

What the feed tells the UI (``on_state``):

- ``CONNECTING`` / ``RECONNECTING``: no socket yet (the second with the reason);
- ``WAITING``: the socket is open and no picture has come yet (the server sends one
  when the page repaints, and only once the run has a browser);
- ``LIVE``: pictures arrive;
- ``ENDED``: the server signed off with a final status, or the run has ended;
- ``REFUSED``: the server said no (a refused key, in its own words): not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ...api.enums import is_terminal
from ...api.errors import ApiError, NetworkError
from ...api.stream import (
    NO_STATUS,
    BadFrame,
    Frame,
    Message,
    Opened,
    Quiet,
    SignOff,
    StreamRefusedError,
)
from .watcher import backoff

log = logging.getLogger(__name__)

# The server's sign-off words that are not a final run status.
_SIGN_OFF_TIMEOUT = "timeout"
_SIGN_OFF_GONE = frozenset({"not_found", "session_expired", NO_STATUS})
"""Sign-offs that end the feed besides a run's final status: no such run or session, a
session that timed out, a sign-off without a status. Any other status (``running``,
``paused``…) is how skyvern 1.0.56 says its screencast stopped while the run goes on: "a
status that is not final is the viewer's cue to reconnect" (its streaming/screenshot.py)."""


def _final_sign_off(status: str) -> bool:
    return is_terminal(status) or status in _SIGN_OFF_GONE


class FeedState(StrEnum):
    CONNECTING = "connecting"
    RECONNECTING = "reconnecting"
    WAITING = "waiting"
    LIVE = "live"
    ENDED = "ended"
    REFUSED = "refused"


class Stream(Protocol):
    url: str

    def messages(self, *, quiet_after: float | None = None) -> AsyncGenerator[Message, None]: ...


@dataclass(frozen=True)
class FeedPolicy:
    first_delay: float = 1.0
    max_delay: float = 20.0
    growth: float = 2.0
    stall_after: float = 4.0
    """A socket that has sent no picture this long while the run is running is opened
    again: a local server sometimes starts a viewer's screencast only at the run's end
    when the viewer joined in the run's first second (seen on skyvern 1.0.56)."""
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, failures: int) -> float:
        return backoff(failures, self.first_delay, self.growth, self.max_delay, self.rand)


@dataclass
class FeedStats:
    received: int = 0
    """Pictures that arrived whole."""
    dropped: int = 0
    """Messages that could not be used: too large, bad base64, not an object."""
    connects: int = 0
    last_drop: str = ""


class LiveFeed:
    """Reads a run's stream for as long as the run goes on.

    ``run_over()`` says whether the run has ended (the pane knows from its watcher): then a
    closed socket is not reopened. A clean close or a dropped connection while the run goes
    on is reopened after a growing pause; a sign-off with the run's final status ends it.
    """

    def __init__(
        self,
        stream: Stream,
        *,
        run_over: Callable[[], bool],
        running: Callable[[], bool] = lambda: True,
        on_frame: Callable[[Frame], None],
        on_state: Callable[[FeedState, str], None],
        policy: FeedPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.stream = stream
        self._run_over = run_over
        self._running = running
        self._on_frame = on_frame
        self._on_state = on_state
        self.policy = policy or FeedPolicy()
        self._sleep = sleep
        self.stats = FeedStats()
        self.state = FeedState.CONNECTING
        self.url: str | None = None  # the page's address, from the newest message

    def _set(self, state: FeedState, message: str = "") -> None:
        if state is not self.state or message:
            self.state = state
            self._on_state(state, message)

    def _take(self, message: Message) -> None:
        if isinstance(message, Opened):
            self.stats.connects += 1
            self._set(FeedState.WAITING)
        elif isinstance(message, Frame):
            self.stats.received += 1
            self.url = message.url or self.url
            if self.state is not FeedState.LIVE:
                self._set(FeedState.LIVE)
            self._on_frame(message)
        elif isinstance(message, BadFrame):
            self.stats.dropped += 1
            self.stats.last_drop = message.reason
            self.url = message.url or self.url
            log.debug("live view of %s: dropped %s", self.stream.url, message.reason)

    async def run(self) -> None:
        """Until the run ends, the server signs off, or it refuses (see :class:`FeedState`)."""
        failures = 0
        self._on_state(FeedState.CONNECTING, "")
        while True:
            reason = "the server closed the live view"
            pictures = 0
            quiet_since = time.monotonic()
            try:
                messages = self.stream.messages(quiet_after=1.0)
                async with contextlib.aclosing(messages):
                    async for message in messages:
                        if isinstance(message, SignOff):
                            if not _final_sign_off(message.status) and not self._run_over():
                                reason = (
                                    "the server stopped waiting for the browser"
                                    if message.status == _SIGN_OFF_TIMEOUT
                                    else "the server's picture stopped while the run goes on"
                                )
                                break
                            self._set(FeedState.ENDED, message.status)
                            return
                        if isinstance(message, Quiet):
                            if self._run_over():  # no sign-off needed: the run has ended
                                self._set(FeedState.ENDED, "")
                                return
                            if pictures or not self._running():
                                quiet_since = time.monotonic()
                            elif time.monotonic() - quiet_since >= self.policy.stall_after:
                                reason = "no picture came"
                                break
                            continue
                        self._take(message)
                        if isinstance(message, Frame):
                            failures = 0
                            pictures += 1
            except StreamRefusedError as exc:
                self._set(FeedState.REFUSED, str(exc))
                return
            except ApiError as exc:  # a refused key (403): asking again will not help
                self._set(FeedState.REFUSED, str(exc))
                return
            except NetworkError as exc:
                reason = str(exc)
            if self._run_over():
                self._set(FeedState.ENDED, "")
                return
            failures += 1
            delay = self.policy.delay(failures)
            log.info("live view of %s: %s; again in %.1fs", self.stream.url, reason, delay)
            self._set(FeedState.RECONNECTING, reason)
            await self._sleep(delay)
            if self._run_over():
                self._set(FeedState.ENDED, "")
                return
