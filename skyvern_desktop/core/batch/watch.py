"""Watching a batch's running rows without one request per run: one request lists the
workflow's newest runs (a page of up to 100) and updates every running row it finds;
further pages only while runs are missing; a run not found in them is read on its own. A
run's details (its output) are read once, when it ends, a few at a time. No Qt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ...api.enums import is_terminal
from ...api.errors import NetworkError, NotFoundError, SkyvernError
from ..runs.watcher import backoff
from .rows import BatchRow, RowState

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse


class WatchPolicy(Protocol):
    """The runner's policy, as far as watching goes (see ``RunnerPolicy``)."""

    @property
    def watch_first(self) -> float: ...  # seconds between status pages while runs are young
    @property
    def watch_max(self) -> float: ...
    @property
    def list_page_size(self) -> int: ...
    @property
    def max_pages(self) -> int: ...
    @property
    def details_at_once(self) -> int: ...
    @property
    def rand(self) -> Callable[[], float]: ...


class RunWatcher:
    """Follows the running rows of one batch; ``changed(indices)`` after rows change
    (``[]`` when only :attr:`error` did), ``save(row)`` writes a row to the store, and
    ``spawn(name, coro)`` runs a task the runner owns."""

    def __init__(
        self,
        client: SkyvernClient,
        workflow_permanent_id: str,
        rows: list[BatchRow],
        policy: WatchPolicy,
        *,
        active: Callable[[], Iterable[int]],
        changed: Callable[[list[int]], None],
        save: Callable[[BatchRow], None],
        spawn: Callable[[str, Coroutine[Any, Any, Any]], asyncio.Task[Any]],
    ) -> None:
        self.client = client
        self._wpid = workflow_permanent_id
        self.rows = rows
        self.policy = policy
        self._active = active
        self._changed = changed
        self._save = save
        self._spawn = spawn
        self.error: str | None = None  # why status updates fail, in words, while they do
        self.requests = 0
        self._details = asyncio.Semaphore(policy.details_at_once)
        self._reading: set[int] = set()  # rows whose details are being read
        self._by_run = {r.run_id: r for r in rows if r.run_id}

    def follow(self, row: BatchRow) -> None:
        """The row has a run now (``row.run_id``): watch it."""
        assert row.run_id is not None
        self._by_run[row.run_id] = row

    def forget(self, run_id: str) -> None:
        self._by_run.pop(run_id, None)

    def follows(self, run_id: str) -> bool:
        return run_id in self._by_run

    async def run(self, wake: Callable[[], None]) -> None:
        """Until cancelled: a look at the running rows, more often while they change;
        ``wake()`` after each look (the runner may start rows in freed slots)."""
        interval = self.policy.watch_first
        failures = 0
        while True:
            running = [
                self.rows[i] for i in sorted(self._active())
                if self.rows[i].state is RowState.RUNNING
            ]  # fmt: skip
            if running:
                try:
                    changed = await self._look(running)
                except SkyvernError as exc:
                    failures += 1
                    self.error = str(exc)
                    self._changed([])
                    await asyncio.sleep(backoff(failures, 1.0, 2.0, 30.0, self.policy.rand))
                    continue
                if self.error:
                    self.error = None
                    self._changed([])
                failures = 0
                interval = (
                    self.policy.watch_first
                    if changed
                    else min(self.policy.watch_max, interval * 1.5)
                )
            else:
                interval = self.policy.watch_first
            wake()
            await asyncio.sleep(interval)

    async def _look(self, running: list[BatchRow]) -> bool:
        """One look at the workflow's newest runs; ``True`` when a row changed."""
        missing = {r.run_id for r in running if r.run_id}
        oldest = min((r.started_at or 0.0) for r in running) - 120
        changed: list[int] = []
        size = self.policy.list_page_size
        for page in range(1, self.policy.max_pages + 1):
            self.requests += 1
            runs = await self.client.list_workflow_runs(
                workflow_permanent_id=self._wpid, page=page, page_size=size
            )
            for run in runs:
                missing.discard(run.workflow_run_id)  # seen, whatever its row's state now
                row = self._by_run.get(run.workflow_run_id)
                if row is None or row.state is not RowState.RUNNING:
                    continue
                if self._update(row, str(run.status), run.failure_reason):
                    changed.append(row.index)
            if not missing or len(runs) < size:
                break
            if runs and runs[-1].created_at.timestamp() < oldest:
                break
        for run_id in missing:  # not in the newest pages: read on its own
            row = self._by_run.get(run_id) if run_id else None
            if row is None or row.state is not RowState.RUNNING or row.index in self._reading:
                continue  # ended meanwhile, or its details are being read already
            self.requests += 1
            try:
                one = await self.client.get_run(run_id)
            except NotFoundError:
                row.state, row.status = RowState.DONE, "gone"
                row.failure_reason = "The server no longer has this run."
                self._save(row)
                changed.append(row.index)
                continue
            if self._update(row, str(one.status), one.failure_reason, details=one):
                changed.append(row.index)
        if changed:
            self._changed(changed)
        return bool(changed)

    def _update(
        self, row: BatchRow, status: str, reason: str | None, *, details: RunResponse | None = None
    ) -> bool:
        if is_terminal(status):
            if details is not None:
                self._ended(row, details)
            elif row.index not in self._reading:
                self._reading.add(row.index)
                self._spawn(f"details.{row.index}", self._read_details(row))
                if status != row.status:
                    row.status = status
                    return True
            return False
        if status == row.status:
            return False
        row.status = status
        row.failure_reason = reason
        self._save(row)
        return True

    async def _read_details(self, row: BatchRow) -> None:
        assert row.run_id is not None
        try:
            async with self._details:
                while True:
                    try:
                        self.requests += 1
                        run = await self.client.get_run(row.run_id)
                        break
                    except NetworkError:
                        await asyncio.sleep(2.0)
            self._ended(row, run)
            self._changed([row.index])
        finally:
            self._reading.discard(row.index)

    def _ended(self, row: BatchRow, run: RunResponse) -> None:
        row.output = run.output
        row.failure_reason = run.failure_reason
        if run.started_at is not None and run.finished_at is not None:
            row.started_at = run.started_at.timestamp()
            row.finished_at = run.finished_at.timestamp()
        row.finish(str(run.status), at=time.time())
        self._save(row)
