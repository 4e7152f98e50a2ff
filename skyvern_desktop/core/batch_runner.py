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
- **Watching.** One request lists the workflow's newest runs (a page of up to 100) and
  updates every running row it finds; further pages only while runs are missing. A run's
  details (its output) are read once, when it ends.
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
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..api.enums import is_terminal
from ..api.errors import (
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
from ..api.models import WorkflowRunRequest
from .batch import BatchRow, RowCounts, RowState
from .batch_store import HEADERS_NOT_KEPT, BatchInfo, BatchState, BatchStore
from .watcher import backoff

if TYPE_CHECKING:
    from ..api.client import SkyvernClient
    from ..api.models import RunResponse

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


@dataclass(frozen=True, slots=True)
class Candidate:
    """A run the server has that may be the one a "may have started" row started."""

    run_id: str
    created_at: datetime
    status: str
    same_inputs: bool


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
        self.watch_error: str | None = None
        self.requests = 0  # sent by this runner (the benchmark counts them)
        self._details = asyncio.Semaphore(self.policy.details_at_once)
        self._reading: set[int] = set()  # rows whose details are being read
        self._by_run = {r.run_id: r for r in rows if r.run_id}
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
                self.requests += 1
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
                    self._by_run.pop(row.run_id, None)
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
        if row.state is not RowState.MAYBE or run_id in self._by_run:
            return False
        row.state, row.run_id, row.status = RowState.RUNNING, run_id, None
        row.started_at = row.started_at or row.sent_at or time.time()
        row.failure_reason = None
        self._by_run[run_id] = row
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
        watcher = self._spawn("watch", self._watch())
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
            self.requests += 1
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
        self._by_run[run.run_id] = row
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
                self.requests += 1
                await self.client.version()
            except SkyvernError:
                failures += 1
                continue
            self.offline = None
            self._poke([])
            return

    # ------------------------------------------------------------------ watching

    async def _watch(self) -> None:
        interval = self.policy.watch_first
        failures = 0
        while True:
            running = [
                self.rows[i] for i in sorted(self._active)
                if self.rows[i].state is RowState.RUNNING
            ]  # fmt: skip
            if running:
                try:
                    changed = await self._watch_once(running)
                except SkyvernError as exc:
                    failures += 1
                    self.watch_error = str(exc)
                    self._changed([])
                    await asyncio.sleep(backoff(failures, 1.0, 2.0, 30.0, self.policy.rand))
                    continue
                if self.watch_error:
                    self.watch_error = None
                    self._changed([])
                failures = 0
                interval = (
                    self.policy.watch_first
                    if changed
                    else min(self.policy.watch_max, interval * 1.5)
                )
            else:
                interval = self.policy.watch_first
            self._wake.set()
            await asyncio.sleep(interval)

    async def _watch_once(self, running: list[BatchRow]) -> bool:
        """One look at the workflow's newest runs; ``True`` when a row changed."""
        missing = {r.run_id for r in running if r.run_id}
        oldest = min((r.started_at or 0.0) for r in running) - 120
        changed: list[int] = []
        size = self.policy.list_page_size
        for page in range(1, self.policy.max_pages + 1):
            self.requests += 1
            runs = await self.client.list_workflow_runs(
                workflow_permanent_id=self.info.workflow_permanent_id, page=page, page_size=size
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
            self._poke(changed)
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
            self._poke([row.index])
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

    # ------------------------------------------------------------------ helping the operator

    async def find_run(self, index: int) -> list[Candidate]:
        """The workflow's runs created around the moment a "may have started" row's request
        left, that no other row of this batch has: those started with the row's inputs
        first. The operator chooses; nothing is taken by itself."""
        row = self.rows[index]
        sent = row.sent_at or time.time()
        start = datetime.fromtimestamp(sent, UTC) - timedelta(minutes=2)
        end = datetime.fromtimestamp(sent, UTC) + timedelta(minutes=10)
        known = {r.run_id for r in self.rows if r.run_id} | {
            run for r in self.rows for run in r.earlier_runs
        }
        found: list[Candidate] = []
        for page in range(1, 6):
            self.requests += 1
            runs = await self.client.list_workflow_runs(
                workflow_permanent_id=self.info.workflow_permanent_id,
                page=page,
                page_size=50,
                created_after=start,
                created_before=end,
            )
            for run in runs:
                if run.workflow_run_id in known:
                    continue
                self.requests += 1
                detail = await self.client.get_run(run.workflow_run_id)
                sent_params = (detail.run_request or {}).get("parameters") or {}
                found.append(
                    Candidate(
                        run.workflow_run_id,
                        run.created_at,
                        str(run.status),
                        _same(sent_params, row.params),
                    )
                )
            if len(runs) < 50:
                break
        found.sort(key=lambda c: (not c.same_inputs, abs(c.created_at.timestamp() - sent)))
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


def _same(sent: Any, params: dict[str, Any]) -> bool:
    """Whether a run's stored inputs are the row's (the server stores some as text)."""
    if not isinstance(sent, dict):
        return False
    for key, value in params.items():
        got = sent.get(key)
        if got != value and str(got) != str(value):
            return False
    return True
