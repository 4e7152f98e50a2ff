"""The run history's pages: what is asked (``HistoryQuery``) and what comes back
(``HistoryPage``), and where pages come from (``RunPages``). Today the one source is the
server (``history_source.ServerRunPages``); a local index of runs, shared by the history,
the overview and the inbox, is another ``RunPages`` the owner can hand the same screen.
Neither Qt nor the client: the history view reads this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...api.models import WorkflowRun

PAGE_SIZE = 25
WAITING = "paused"  # the status of a run that waits for a person


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """Which runs: of every workflow (``workflow_permanent_id`` None), of one, or those one
    schedule started; of a status or any; matching a search; which page."""

    workflow_permanent_id: str | None = None
    schedule_id: str | None = None  # with the workflow it belongs to
    status: str | None = None
    search: str | None = None
    page: int = 1

    @property
    def filtered(self) -> bool:
        return bool(self.workflow_permanent_id or self.status or self.search)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    query: HistoryQuery
    runs: list[WorkflowRun] = field(default_factory=list)
    more: bool = False  # an older page exists
    capped: bool = False  # a schedule's runs were looked for among the latest only

    @property
    def keeps_going(self) -> bool:
        """Worth asking again soon: a run on it is still going, or it lists the runs that
        wait for a person (a new one may start to wait)."""
        return self.query.status == WAITING or any(not r.is_terminal for r in self.runs)


class RunPages(Protocol):
    async def page(self, query: HistoryQuery) -> HistoryPage: ...
