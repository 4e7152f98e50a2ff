"""The run history's pages: what is asked (``HistoryQuery``) and what comes back
(``HistoryPage``), and where pages come from (``RunPages``). Today the one source is the
server (``history_source.ServerRunPages``); a local index of runs, shared by the history,
the overview and the inbox, is another ``RunPages`` the owner can hand the same screen.
Neither Qt nor the client: the history view reads this module."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...api.models import WorkflowRun

PAGE_SIZE = 25
WAITING = "paused"  # the status of a run that waits for a person


class StartedBy(StrEnum):
    """Who started a run, as the history's filter names it."""

    SCHEDULE = "schedule"
    BATCH = "batch"
    APP = "app"
    WEB = "web"
    API = "api"


STARTED_BY_LABELS = {
    StartedBy.SCHEDULE: "A schedule",
    StartedBy.BATCH: "A batch",
    StartedBy.APP: "This app",
    StartedBy.WEB: "Skyvern's web app",
    StartedBy.API: "The API or a script",
}


@dataclass(frozen=True, slots=True)
class Origins:
    """The runs this app knows it started: by hand (the launcher, Run now, a retry) and by
    its batches. Every other run was started by a schedule, Skyvern's web app, or the API."""

    app: Collection[str] = frozenset()
    batch: Collection[str] = frozenset()


def started_by(run: WorkflowRun, origins: Origins) -> StartedBy:
    return started_by_of(run.workflow_run_id, run.trigger_type, run.workflow_schedule_id, origins)


def started_by_of(
    run_id: str, trigger_type: object, schedule_id: str | None, origins: Origins
) -> StartedBy:
    """Who started a run, from its id, the server's trigger and its schedule."""
    trigger = str(getattr(trigger_type, "value", trigger_type) or "").lower()
    if trigger == "scheduled" or schedule_id:
        return StartedBy.SCHEDULE
    if run_id in origins.batch:
        return StartedBy.BATCH
    if run_id in origins.app:
        return StartedBy.APP
    if trigger == "manual":
        return StartedBy.WEB
    return StartedBy.API


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Which runs: of every workflow (``workflow_permanent_id`` None), of one, of several
    (``workflows``), or those one schedule started; of a status or any; matching a search;
    created in a date range; of a failure category; started by whom; which page."""

    workflow_permanent_id: str | None = None
    schedule_id: str | None = None  # with the workflow it belongs to
    status: str | None = None
    search: str | None = None
    page: int = 1
    workflows: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    category: str | None = None
    started_by: StartedBy | None = None

    @property
    def filtered(self) -> bool:
        return bool(
            self.workflow_permanent_id or self.status or self.search or self.workflows
            or self.created_after or self.created_before or self.category or self.started_by
        )  # fmt: skip

    @property
    def workflow_ids(self) -> tuple[str, ...]:
        """The workflows asked for (none: every workflow)."""
        ids = list(self.workflows)
        if self.workflow_permanent_id and self.workflow_permanent_id not in ids:
            ids.insert(0, self.workflow_permanent_id)
        return tuple(ids)

    def keeps(self, run: WorkflowRun, origins: Origins) -> bool:
        """The filters the server cannot apply, applied to one run."""
        if self.category and self.category not in run.categories:
            return False
        if self.started_by and started_by(run, origins) != self.started_by:
            return False
        if self.created_after and run.created_at < self.created_after:
            return False
        return not (self.created_before and run.created_at >= self.created_before)

    @property
    def scans(self) -> bool:
        """Some filter is applied here, not by the server: runs are read and kept."""
        dates_here = (self.created_after or self.created_before) and len(self.workflow_ids) != 1
        return bool(self.category or self.started_by or dates_here or len(self.workflow_ids) > 1)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    query: HistoryQuery
    runs: list[WorkflowRun] = field(default_factory=list)
    more: bool = False  # an older page exists
    capped: bool = False  # the runs were looked for among the latest only
    origins: Origins = field(default_factory=Origins)  # who started them, as known here
    as_of: float | None = None  # when its runs were read (monotonic), if not just now

    @property
    def keeps_going(self) -> bool:
        """Worth asking again soon: a run on it is still going, or it lists the runs that
        wait for a person (a new one may start to wait)."""
        return self.query.status == WAITING or any(not r.is_terminal for r in self.runs)


class RunPages(Protocol):
    async def page(self, query: HistoryQuery) -> HistoryPage: ...
