"""The owner of the local index of runs (``core.runs.index``): one per app, holding the
index of the current connection and keeping it in step with the server.

- **When it syncs.** Once a connection is made and checked (so the workflow list's
  first requests go first); then as
  ``core.runs.index_sync.next_delay`` says: every minute while nothing is going (one list
  request), every 5 s while a run it holds is unfinished or a screen that needs fresh
  data is shown (``want_fresh``); and soon after an owner announces a run started
  (``Changes``). A failed sync is tried again a minute later; the screens keep what the
  index already holds.
- **What it tells.** ``changed()`` after a sync that changed something; ``progress(held,
  complete)`` while the first sync fills the history in; ``ended(run ids)`` for runs it saw
  end (the watchdog and the inbox read those). The steps and inputs' digests of ended runs
  (``core.runs.index_sync.read_details``) are not read by it yet: a background task doing so
  left the real-server tier's teardown hanging, so it waits for the overview.
- **Which file.** ``run-index/<connection>.sqlite3`` in the app's data folder, named by the
  session's connection identity (the kept workflow list's): never another connection's
  runs. A connection without an identity (a test's fake) gets an index in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..changes import Change, ChangeKind, Changes
from ..session import Session
from ..tasks import TaskRunner

if TYPE_CHECKING:
    from ...core.runs.index import RunIndex
    from ...core.runs.index_sync import SyncReport

log = logging.getLogger(__name__)

TASK = "runs.index"
FRESH_WAIT_S = 10.0  # the longest a history load waits for the index to read the server
POKE_DELAY_S = 1.0  # a run just started shows in the server's list a moment later


class RunIndexOwner(QObject):
    changed = Signal()
    progress = Signal(int, bool)  # runs held, complete
    ended = Signal(list)  # run ids seen to end

    def __init__(
        self,
        session: Session,
        tasks: TaskRunner,
        changes: Changes,
        folder: Path,
        *,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._folder = folder
        self._clock = clock
        self._index: RunIndex | None = None
        self._wake = asyncio.Event()
        self._fresh: set[str] = set()
        self._syncs = 0
        self._started = self._ended = 0  # syncs begun and ended, over the app's life
        self._synced = asyncio.Event()  # set, and replaced, as each sync ends
        self.last_error: str | None = None
        self.last_report: SyncReport | None = None
        self.requests = 0  # list and run requests made, over the app's life
        self.as_of: float | None = None  # when the last good sync began (monotonic)
        self._started_for: object | None = None  # the client the syncs run for
        session.client_changed.connect(self._on_client_changed)
        session.checked.connect(self._on_checked)
        changes.changed.connect(self._on_change)

    # ------------------------------------------------------------------ reading

    @property
    def index(self) -> RunIndex | None:
        """The current connection's index (None: not connected)."""
        return self._index

    @property
    def complete(self) -> bool:
        return self._index is not None and self._index.complete

    @property
    def synced(self) -> bool:
        """At least one sync of this connection has finished."""
        return self._syncs > 0

    def want_fresh(self, who: str, wanted: bool) -> None:
        """A screen that shows recent runs is shown (or hidden): sync every
        five seconds while one is."""
        if wanted and who not in self._fresh:
            self._fresh.add(who)
            self.poke(0.0)
        elif not wanted:
            self._fresh.discard(who)

    def poke(self, delay: float = POKE_DELAY_S) -> None:
        """Sync soon (after ``delay``), instead of at the next tick."""
        if self._index is None:
            return
        if delay <= 0:
            self._wake.set()
        else:
            asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def fresh(self, within: float = FRESH_WAIT_S) -> bool:
        """Until a sync that begins after this call has ended: True. False at once when
        no sync runs (not connected, or the connection not checked yet), or after
        ``within`` seconds (a slow server: what the index holds stays shown)."""
        if self._index is None or TASK not in self._tasks.names:
            return False
        target = self._started + 1
        self.poke(0)
        try:
            async with asyncio.timeout(within):
                while self._index is not None and self._ended < target:
                    await self._synced.wait()
        except TimeoutError:
            return False
        return self._ended >= target

    async def wait_synced(self) -> None:
        """Until the sync now under way (or the next) has finished."""
        if self._index is not None:
            await self._synced.wait()

    # ------------------------------------------------------------------ syncing

    def _on_client_changed(self) -> None:
        self._tasks.cancel(TASK)
        self._started_for = None  # syncing waits for the connection's check (_on_checked)
        if self._index is not None:
            self._index.close()
            self._index = None
        self._syncs = 0
        self.last_error = None
        self.as_of = None
        client = self._session.client
        if client is None:
            self.changed.emit()
            return
        from ...core.runs.index import RunIndex

        identity = self._session.identity
        path = self._folder / f"{identity}.sqlite3" if identity else Path(":memory:")
        self._index = RunIndex(path, client.base_url)
        self.changed.emit()
        self._wake = asyncio.Event()

    def _on_checked(self) -> None:
        """The connection was checked: the screens' first requests have gone before the
        index's (a first sync of a long history must not hold up the workflow list)."""
        client = self._session.client
        if client is None or self._index is None or self._started_for is client:
            return
        self._started_for = client
        self._tasks.spawn(TASK, self._keep_in_step(), daemon=True)

    def _on_change(self, change: Change) -> None:
        if change.kind in (ChangeKind.RUN_STARTED, ChangeKind.RUN_ENDED):
            self.poke()

    def _delay(self) -> float:
        from ...core.runs.index_sync import IDLE_S, next_delay

        if self._index is None:
            return IDLE_S
        return next_delay(
            self._index, fresh_wanted=bool(self._fresh), failed=self.last_error is not None
        )

    async def _keep_in_step(self) -> None:
        while True:
            await self.sync_now()
            self._wake.clear()
            # Not asyncio.wait_for: on Python 3.11 it can swallow the cancellation that ends
            # this loop when the wake-up comes at the same moment.
            tick = asyncio.get_running_loop().call_later(self._delay(), self._wake.set)
            try:
                await self._wake.wait()
            finally:
                tick.cancel()

    async def sync_now(self) -> SyncReport | None:
        """One sync of the current connection's index; the report, or None if it failed."""
        self._started += 1
        try:
            return await self._sync_once()
        finally:
            self._ended = self._started
            done, self._synced = self._synced, asyncio.Event()
            done.set()

    async def _sync_once(self) -> SyncReport | None:
        from ...api.errors import SkyvernError
        from ...core.runs.index_sync import sync

        client, index = self._session.client, self._index
        if client is None or index is None:
            return None
        began = time.monotonic()
        try:
            report = await sync(
                client, index, clock=self._clock,
                progress=lambda held, done: self.progress.emit(held, done),
            )  # fmt: skip
        except SkyvernError as exc:
            if client is self._session.client:
                self.last_error = str(exc)
                self._syncs += 1
                log.info("run index: the sync stopped: %s", exc)
                self.changed.emit()  # what was written before it stopped
            return None
        if client is not self._session.client:
            return None
        self.last_error = None
        self.last_report = report
        self.as_of = began
        self.requests += report.requests
        self._syncs += 1
        if report.ended:
            self.ended.emit(list(report.ended))
        if report.changed_anything or self._syncs == 1:
            self.changed.emit()
        return report

    def summary(self) -> str:
        """One line for ``--self-test``: how many runs it holds, and whether it is done."""
        index = self._index
        if index is None:
            return "Run index: not connected"
        held = index.count()
        runs = f"{held:,} run{'s' if held != 1 else ''}"
        if self.last_error is not None:
            return f"Run index: {runs}; the last sync stopped ({self.last_error})"
        if index.complete:
            return f"Run index: {runs}, up to date"
        return f"Run index: {runs} so far, still filling in the older ones"

    def close(self) -> None:
        self._tasks.cancel(TASK)
        if self._index is not None:
            self._index.close()
            self._index = None
