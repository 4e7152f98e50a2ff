"""Running a batch: at most N runs at once, each row started exactly once, all watched in
pages. No Qt: the screen passes a callback and drives the controls.

- **Starting.** A row is written as "starting" before its request leaves. The answer
  makes it "running" (with its run id), puts it back to "waiting" when the request surely
  did not start anything (a refused connection, a 429), or "refused" when the server said
  no. When the outcome cannot be known (the connection dropped after sending, a gateway
  timed out, the server failed half-way) the row is "may have started": it is never sent
  again by itself; the operator decides, helped by :meth:`BatchRunner.find_run`.
- **Slowing down.** A 429 waits as long as its Retry-After asks, and spaces the next
  starts out (the spacing halves again with each start that goes through). Network
  trouble stops new starts; the runner asks the server for its version, backing off, and
  goes on by itself once it answers.
- **Watching** is :class:`.batch_watch.RunWatcher`'s: the workflow's newest runs in
  pages, not one request per run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...api.errors import (
    ApiError,
    AuthError,
    ClientClosedError,
    NetworkError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    SkyvernError,
    ValidationError,
)
from ...api.models import WorkflowRunRequest
from ..runs.watcher import backoff
from .find import Candidate, find_candidates
from .rows import BatchRow, RowCounts, RowState
from .store import HEADERS_NOT_KEPT, BatchInfo, BatchState, BatchStore
from .watch import RunWatcher

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse

log = logging.getLogger(__name__)

MAX_CONCURRENCY = 50
DEFAULT_CONCURRENCY = 3


@dataclass(frozen=True)
class RunnerPolicy:
    watch_first: float = 1.0  # seconds between status pages while runs are young
    watch_max: float = 5.0
    list_page_size: int = 100
    max_pages: int = 10
    spacing_max: float = 10.0  # the longest pause between starts after 429s
    probe_first: float = 1.0
    probe_max: float = 30.0
    details_at_once: int = 4  # run details read at the same time
    rand: Callable[[], float] = random.random


Listener = Callable[[list[int]], None]


class BatchRunner:
    """Runs one batch. ``changed(indices)`` is called after rows change (``[]`` when only the
    batch's own state did: paused, slowed down, offline…)."""

    def __init__(
        self,
        store: BatchStore,
        info: BatchInfo,
        rows: list[BatchRow],
        client: SkyvernClient,
        changed: Listener,
        *,
        policy: RunnerPolicy | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.store = store
        self.info = info
        self.rows = rows
        self.client = client
        self._listener = changed
        self.counts = RowCounts(rows)
        """Kept as rows change: the view draws its progress from it each second."""
        self.policy = policy or RunnerPolicy()
        self._on_error = on_error
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._not_before = 0.0  # no start before this (monotonic): a 429's Retry-After
        self.spacing = 0.0  # seconds between starts, after 429s
        self._last_start = 0.0
        self.offline: str | None = None  # why starts wait (network trouble), in words
        self.problem: str | None = None  # why the batch paused by itself
        self._sent = 0  # requests sent by this runner, the watcher's aside
        self.watcher = RunWatcher(
            client, info.workflow_permanent_id, rows, self.policy,
            active=lambda: self._active, changed=self._poke, save=self._save, spawn=self._spawn,
        )  # fmt: skip
        # The rows to start, in order, and those holding a slot: kept as rows change, so
        # starting or settling never scans every row (a batch may have 100,000).
        self._pending: deque[int] = deque(r.index for r in rows if r.state is RowState.PENDING)
        self._active: set[int] = {r.index for r in rows if r.active}
        self.finished = asyncio.Event()
        lost = info.options.get(HEADERS_NOT_KEPT)
        if lost and "extra_http_headers" not in info.options:
            self.problem = (
                f"its extra HTTP headers ({', '.join(lost)}) are kept in memory only, never on"
                " disk, so they ended with the app. Resume starts the rows left without them;"
                " to send them, start a new batch of those rows."
            )
            if info.state is BatchState.RUNNING:
                self._set_state(BatchState.PAUSED)

    # ------------------------------------------------------------------ state

    @property
    def requests(self) -> int:
        """Requests sent for this batch (the benchmark counts them)."""
        return self._sent + self.watcher.requests

    @property
    def watch_error(self) -> str | None:
        """Why status updates fail, in words, while they do."""
        return self.watcher.error

    @property
    def state(self) -> BatchState:
        return self.info.state

    @property
    def concurrency(self) -> int:
        return self.info.concurrency

    def set_concurrency(self, value: int) -> None:
        value = max(1, min(MAX_CONCURRENCY, int(value)))
        if value != self.info.concurrency:
            self.info.concurrency = value
            self.store.set_concurrency(self.info.batch_id, value)
            self._poke([])

    def _set_state(self, state: BatchState) -> None:
        if state is not self.info.state:
            self.info.state = state
            self.store.set_state(self.info.batch_id, state)

    def pause(self) -> None:
        """Start no new rows; those running go on and are watched."""
        if self.state is BatchState.RUNNING:
            self._set_state(BatchState.PAUSED)
            self._poke([])

    def resume(self) -> None:
        self.problem = None
        if self.state is not BatchState.RUNNING:
            self._set_state(BatchState.RUNNING)
        self._poke([])

    def stop(self) -> None:
        """Let go of the rows not started; the running ones are still watched."""
        changed = []
        for row in self.rows:
            if row.state is RowState.PENDING:
                row.state = RowState.STOPPED
                self._save(row)
                changed.append(row.index)
        self._set_state(BatchState.STOPPED)
        self._poke(changed)

    async def cancel_running(self) -> int:
        """Ask the server to cancel every running run of the batch; how many it took."""
        rows = [self.rows[i] for i in sorted(self._active)]
        rows = [r for r in rows if r.state is RowState.RUNNING and r.run_id]
        done = 0
        for row in rows:
            assert row.run_id is not None
            try:
                self._sent += 1
                await self.client.cancel_run(row.run_id)
                done += 1
            except NotFoundError:
                continue
        self._poke([])
        return done

    def retry_failed(self) -> list[int]:
        """The failed and refused rows get a new run each (the failed run is remembered)."""
        again = []
        for row in self.rows:
            if row.failed:
                if row.run_id:
                    row.earlier_runs.append(row.run_id)
                    self.watcher.forget(row.run_id)
                _reset(row)
                self._save(row)
                self._pending.append(row.index)
                again.append(row.index)
        if again:
            if self.state in (BatchState.FINISHED, BatchState.STOPPED):
                self._set_state(BatchState.RUNNING)  # a paused batch stays paused
            self._poke(again)
        return again

    def start_again(self, index: int) -> None:
        """The operator decided a "may have started" row did not start: send it again."""
        row = self.rows[index]
        if row.state in (RowState.MAYBE, RowState.STOPPED, RowState.SKIPPED) and not row.errors:
            _reset(row)
            self._save(row)
            self._pending.append(index)
            if self.state in (BatchState.FINISHED, BatchState.STOPPED):
                self._set_state(BatchState.RUNNING)
            self._poke([index])

    def skip(self, index: int) -> None:
        row = self.rows[index]
        if row.state in (RowState.MAYBE, RowState.PENDING):
            row.state = RowState.SKIPPED
            self._save(row)
            self._poke([index])

    def take_run(self, index: int, run_id: str) -> bool:
        """A "may have started" row's run was found: the row follows it from now on.
        ``False`` when another row of the batch has that run already."""
        row = self.rows[index]
        if row.state is not RowState.MAYBE or self.watcher.follows(run_id):
            return False
        row.state, row.run_id, row.status = RowState.RUNNING, run_id, None
        row.started_at = row.started_at or row.sent_at or time.time()
        row.failure_reason = None
        self.watcher.follow(row)
        self._active.add(index)
        self._save(row)
        if self.state is BatchState.FINISHED:
            self._set_state(BatchState.RUNNING)  # watched until it ends; nothing else starts
        self._poke([index])
        return True

    def _next_pending(self) -> int | None:
        while self._pending and self.rows[self._pending[0]].state is not RowState.PENDING:
            self._pending.popleft()  # stopped, skipped or started meanwhile
        return self._pending[0] if self._pending else None

    def _active_count(self) -> int:
        self._active = {i for i in self._active if self.rows[i].active}
        return len(self._active)

    @property
    def settled(self) -> bool:
        """Nothing waits to start and nothing runs."""
        return self._next_pending() is None and self._active_count() == 0

    def _save(self, row: BatchRow) -> None:
        self.store.save_row(self.info.batch_id, row)

    def _changed(self, indices: list[int]) -> None:
        if indices:
            self.counts.changed(indices)
        self._listener(indices)

    def _poke(self, indices: list[int]) -> None:
        self._wake.set()
        self._changed(indices)

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Start and watch rows until the batch is settled; returns when it finished."""
        self.finished.clear()
        watcher = self._spawn("watch", self.watcher.run(self._wake.set))
        try:
            while True:
                if self.settled:  # paused or not: nothing is left to start or to watch
                    break
                self._wake.clear()
                delay = self._start_what_can()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        self._set_state(BatchState.FINISHED)
        self.finished.set()
        self._changed([])

    def _start_what_can(self) -> float | None:
        """Start rows while slots are free; how long to wait before looking again (``None``:
        until something changes)."""
        if self.state is not BatchState.RUNNING or self.offline is not None:
            return None
        now = time.monotonic()
        if now < self._not_before:
            return self._not_before - now
        if self.spacing and now < self._last_start + self.spacing:
            return self._last_start + self.spacing - now
        free = self.concurrency - self._active_count()
        if free <= 0:
            return None
        take: list[BatchRow] = []
        while len(take) < (1 if self.spacing else free):
            index = self._next_pending()
            if index is None:
                break
            self._pending.popleft()
            row = self.rows[index]
            try:
                request = self._request(row)  # a row that cannot be sent never holds a slot
            except ValueError as exc:
                row.state, row.failure_reason = RowState.REFUSED, f"It could not be sent: {exc}"
                self._save(row)
                self._changed([index])
                continue
            row.state = RowState.STARTING
            row.sent_at = time.time()
            self._save(row)  # before the request leaves: a crash now means "may have started"
            self._active.add(index)
            self._spawn(f"start.{row.index}", self._start(row, request))
            take.append(row)
        if take:
            self._last_start = now
            self._changed([r.index for r in take])
        return None

    def _request(self, row: BatchRow) -> WorkflowRunRequest:
        options = {
            k: v for k, v in self.info.options.items() if k not in ("title", HEADERS_NOT_KEPT)
        }
        return WorkflowRunRequest(
            workflow_id=self.info.workflow_permanent_id,
            parameters=row.params or None,
            title=row.title or None,
            **options,
        )

    async def _start(self, row: BatchRow, request: WorkflowRunRequest) -> None:
        try:
            self._sent += 1
            run = await self.client.run_workflow(request)
        except RateLimitedError as exc:
            self._back_to_waiting(row)
            self._slow_down(exc.retry_after)
        except OutcomeUnknownError as exc:
            self._maybe(row, f"Its answer was lost, so it may have started: {exc}")
            self._go_offline(str(exc))
        except ServerError as exc:
            self._maybe(row, f"The server failed while starting it ({exc}).")
        except NetworkError as exc:  # surely not sent
            self._back_to_waiting(row)
            self._go_offline(str(exc))
        except ClientClosedError:
            self._back_to_waiting(row)  # never sent: the connection was switched
            self.problem = "The connection changed; this batch waits for its own server."
            self.pause()
        except (AuthError, NotFoundError) as exc:
            self._back_to_waiting(row)
            self.problem = str(exc)
            self.pause()
        except (ValidationError, ApiError) as exc:
            row.state = RowState.REFUSED
            row.failure_reason = exc.message if isinstance(exc, ApiError) else str(exc)
            self._save(row)
            self._poke([row.index])
        except SkyvernError as exc:  # an unreadable answer that is not a create's
            self._maybe(row, str(exc))
        else:
            self.spacing = self.spacing / 2 if self.spacing > 0.2 else 0.0
            self._started(row, run)

    def _started(self, row: BatchRow, run: RunResponse) -> None:
        row.state, row.run_id, row.status = RowState.RUNNING, run.run_id, str(run.status)
        row.started_at = time.time()
        row.failure_reason = None
        self.watcher.follow(row)
        self._save(row)
        self._poke([row.index])

    def _back_to_waiting(self, row: BatchRow) -> None:
        row.state, row.sent_at = RowState.PENDING, None
        self._save(row)
        self._pending.appendleft(row.index)  # its turn again, first
        self._poke([row.index])

    def _maybe(self, row: BatchRow, why: str) -> None:
        row.state = RowState.MAYBE
        row.failure_reason = why
        self._save(row)
        self._poke([row.index])

    def _slow_down(self, retry_after: float | None) -> None:
        wait = retry_after if retry_after is not None else max(1.0, self.spacing * 2)
        self._not_before = max(self._not_before, time.monotonic() + min(wait, 300.0))
        self.spacing = min(self.policy.spacing_max, max(0.5, self.spacing * 2))
        log.info("batch %s: slowed down (429), %.1fs apart", self.info.batch_id, self.spacing)
        self._poke([])

    def _go_offline(self, why: str) -> None:
        if self.offline is None:
            self.offline = why
            self._spawn("probe", self._probe())
            self._poke([])

    async def _probe(self) -> None:
        """Ask the server for its version, backing off, until it answers; then go on."""
        failures = 0
        p = self.policy
        while True:
            await asyncio.sleep(backoff(failures, p.probe_first, 2.0, p.probe_max, p.rand))
            try:
                self._sent += 1
                await self.client.version()
            except SkyvernError:
                failures += 1
                continue
            self.offline = None
            self._poke([])
            return

    # ------------------------------------------------------------------ helping the operator

    async def find_run(self, index: int) -> list[Candidate]:
        """The runs a "may have started" row may have started (see :mod:`.batch_find`)."""
        known = {r.run_id for r in self.rows if r.run_id} | {
            run for r in self.rows for run in r.earlier_runs
        }
        found, sent = await find_candidates(
            self.client, self.info.workflow_permanent_id, self.rows[index], known
        )
        self._sent += sent
        return found

    # ------------------------------------------------------------------ tasks

    def _spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(
            coro, name=f"batch.{self.info.batch_id}.{name}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        log.error("task %s failed", task.get_name(), exc_info=exc)
        if self._on_error is not None:
            self._on_error(task.get_name(), exc)

    async def aclose(self) -> None:
        """Stop every task of this runner (rows on their way stay "starting" in the store
        until their answer comes; a request cut off here is "may have started")."""
        while tasks := [t for t in self._tasks if not t.done()]:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for row in self.rows:
            if row.state is RowState.STARTING:
                self._maybe(row, "The app stopped while its request was on its way.")

    def tally(self) -> dict[str, int]:
        return {b.value: n for b, n in self.counts.counts.items() if n}


def _reset(row: BatchRow) -> None:
    row.state, row.run_id, row.status = RowState.PENDING, None, None
    row.failure_reason = None
    row.sent_at = row.started_at = row.finished_at = None
    row.output = None
