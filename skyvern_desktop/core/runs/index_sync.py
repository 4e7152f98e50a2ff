"""Keeping the local index of runs (:mod:`.index`) up to date with the server, from its list
of workflow runs (``GET /v1/workflows/runs``, newest first, every workflow).

**One sync** (:func:`sync`):

1. *The head.* Pages are read from the newest down and written as they come, until a page
   holds a run the index already knew as ended, and the pages have gone past the oldest
   run the index knew as unfinished: so runs that were going are re-read through the same
   pages, not one by one. While nothing changes that is one request.
2. *Stragglers.* An unfinished run older than :data:`HEAD_PAGES` pages is looked for in
   one list of the unfinished runs (the status filter); only one that left that list is
   read on its own (:data:`STRAGGLER_READS` at most per sync).
3. *The rest of the history,* while the index has not reached the server's oldest run: the
   index holds a contiguous run of the list, so the first page it lacks is found from how
   many runs it holds (a page back if the list moved), and the pages are read down to the
   end. Progress is reported after each page; each page is written at once, so a sync cut
   short (the app closed, the network gone) goes on from there next time.

A page whose request fails ends the sync with the error; what was written stays.

**Details** (:func:`read_details`), apart from the sync and at its own pace: the list does
not say how many steps a run used (what Skyvern bills by) or what its inputs were, so an
ended run's own page is read once for them, newest first, within the time screens show.

Neither Qt nor HTTP here: the client is handed in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .index import RunIndex, Stored

if TYPE_CHECKING:
    from datetime import datetime

    from ...api.client import SkyvernClient
    from ...api.models import WorkflowRun
    from .index import IndexedRun

PAGE_SIZE = 100
IDLE_S = 60.0  # between syncs while nothing is going: one list request a minute
ACTIVE_S = 5.0  # while a run is unfinished, or a screen wants fresh runs
HEAD_PAGES = 10  # the head looks this far down for unfinished runs before asking by status
STRAGGLER_READS = 20
UNFINISHED = ("created", "queued", "running", "paused")
DETAILS_AT_ONCE = 4


@dataclass(slots=True)
class SyncReport:
    """What one sync did."""

    requests: int = 0
    new: int = 0
    changed: int = 0
    ended: list[str] = field(default_factory=list)  # runs seen to end in this sync
    complete: bool = False  # the index holds every run

    def add(self, stored: Stored) -> None:
        self.new += stored.new
        self.changed += stored.changed
        self.ended.extend(stored.ended)

    @property
    def changed_anything(self) -> bool:
        return bool(self.new or self.changed)


Progress = Callable[[int, bool], None]  # (runs held, complete)


def next_delay(index: RunIndex, *, fresh_wanted: bool, failed: bool) -> float:
    """Seconds until the next sync: :data:`ACTIVE_S` while a run the index holds is
    unfinished or a screen wants fresh runs, else :data:`IDLE_S` (also after a failure)."""
    if failed:
        return IDLE_S
    return ACTIVE_S if fresh_wanted or index.unfinished() else IDLE_S


async def sync(
    client: SkyvernClient,
    index: RunIndex,
    *,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.time,
) -> SyncReport:
    report = SyncReport()

    async def page(number: int, **filters: object) -> list[WorkflowRun]:
        report.requests += 1
        return await client.list_workflow_runs(page=number, page_size=PAGE_SIZE, **filters)  # type: ignore[arg-type]

    def tell() -> None:
        if progress is not None:
            progress(index.count(), index.complete)

    # 1. The head.
    unfinished = index.unfinished()
    oldest_unfinished = unfinished[0].created_at if unfinished else None
    number, reached_end, last_seen = 1, False, None
    while True:
        runs = await page(number)
        known = index.known_terminal([r.workflow_run_id for r in runs])
        report.add(index.store(runs, clock()))
        if len(runs) < PAGE_SIZE:
            reached_end = True
            break
        last_seen = runs[-1].created_at
        met_ended = any(known.get(r.workflow_run_id) for r in runs)
        past_unfinished = oldest_unfinished is None or last_seen <= oldest_unfinished
        if met_ended and (past_unfinished or number >= HEAD_PAGES):
            break
        if not index.complete:
            tell()
        number += 1
    if reached_end:
        index.set_complete(True)

    # 2. Stragglers: unfinished runs below the pages just read.
    if not reached_end and last_seen is not None:
        behind = [r for r in index.unfinished() if r.created_at < last_seen]
        if behind:
            still = await page(1, status=list(UNFINISHED))
            report.add(index.store(still, clock()))
            going = {r.workflow_run_id for r in still}
            gone = [r for r in behind if r.run_id not in going]
            for run in gone[:STRAGGLER_READS]:
                await _reread(client, index, run.run_id, report, clock)

    # 3. The rest of the history.
    if not index.complete:
        await _fill(page, index, report, clock, tell)
    report.complete = index.complete
    tell()
    return report


async def _reread(
    client: SkyvernClient, index: RunIndex, run_id: str, report: SyncReport,
    clock: Callable[[], float],
) -> None:  # fmt: skip
    """One unfinished run that left the list of unfinished runs, read on its own."""
    from ...api.errors import NotFoundError
    from ...api.models import WorkflowRun

    held = index.get(run_id)
    if held is None:
        return
    report.requests += 1
    try:
        now = await client.get_run(run_id)
    except NotFoundError:
        return
    merged = held.as_workflow_run(index.categories_json(run_id)).model_dump()
    merged.update(
        status=now.status, failure_reason=now.failure_reason, queued_at=now.queued_at,
        started_at=now.started_at, finished_at=now.finished_at, modified_at=now.modified_at,
    )  # fmt: skip
    report.add(index.store([WorkflowRun.model_validate(merged)], clock()))


async def _fill(
    page: Callable[..., object],
    index: RunIndex,
    report: SyncReport,
    clock: Callable[[], float],
    tell: Callable[[], None],
) -> None:
    """Read the pages below the index's tail, down to the end of the list."""
    tail = index.tail()
    number = index.count() // PAGE_SIZE + 1
    first = True
    while True:
        runs: list[WorkflowRun] = await page(number)  # type: ignore[misc]
        if (
            first
            and runs
            and tail is not None
            and number > 1
            and (runs[0].created_at < tail.created_at)
        ):
            # The list moved up (runs were deleted): this page would leave a gap below the
            # tail. One page back, until it meets the tail.
            number -= 1
            continue
        first = False
        report.add(index.store(runs, clock()))
        if len(runs) < PAGE_SIZE:
            index.set_complete(True)
            return
        tell()
        number += 1


async def read_details(
    client: SkyvernClient, index: RunIndex, *, since: datetime, limit: int
) -> int:
    """What the list leaves out, for up to ``limit`` ended runs created since ``since``
    (newest first): the steps each used and a digest of its inputs, one request per run
    (:data:`DETAILS_AT_ONCE` at a time). A run the server no longer has is not asked again.
    Returns how many runs were read."""
    from ...api.errors import NotFoundError, SkyvernError
    from .index import NOT_FOUND, inputs_digest

    runs = index.missing_details(since, limit)
    gate = asyncio.Semaphore(DETAILS_AT_ONCE)

    async def one(run: IndexedRun) -> None:
        async with gate:
            try:
                detail = await client.get_workflow_run(run.workflow_permanent_id, run.run_id)
            except NotFoundError:
                index.store_details(run.run_id, NOT_FOUND, None)
                return
        steps = detail.total_steps if detail.total_steps is not None else 0
        index.store_details(run.run_id, steps, inputs_digest(detail.parameters))

    # A task group, not gather: cancelled (the app quits, the connection changes), it
    # waits for its reads to end, so none outlives the task that owns it.
    try:
        async with asyncio.TaskGroup() as group:
            for run in runs:
                group.create_task(one(run), name=f"runs.index.details.{run.run_id}")
    except ExceptionGroup as failed:
        first = failed.exceptions[0]
        if isinstance(first, SkyvernError):
            raise first from None  # the caller's one kind of error
        raise
    return len(runs)
