"""The run history's pages from the local index of runs (``index.RunIndex``).

Once the index holds every run, every filter the history has is answered here, over every
run (no scan limit): the workflows, a schedule, the status, the dates, a failure category
and who started a run. A search is the server's (it looks inside inputs the index does not
keep), and so is any page asked before the index has reached the oldest run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .history import PAGE_SIZE, HistoryPage, HistoryQuery, Origins, RunPages, started_by_of
from .index import IndexedRun

if TYPE_CHECKING:
    from .index import RunIndex


class IndexedRunPages:
    """Pages from ``index`` when it can answer, else from ``server``. ``as_of()`` says when
    the index last read the server (monotonic)."""

    def __init__(
        self,
        index: RunIndex | None,
        server: RunPages,
        origins: Callable[[], Origins],
        as_of: Callable[[], float | None],
    ) -> None:
        self._index = index
        self._server = server
        self._origins = origins
        self._as_of = as_of

    def answers(self, query: HistoryQuery) -> bool:
        return self._index is not None and self._index.complete and not query.search

    async def page(self, query: HistoryQuery) -> HistoryPage:
        if not self.answers(query):
            return await self._server.page(query)
        assert self._index is not None
        return self.local_page(self._index, query)

    def local_page(self, index: RunIndex, query: HistoryQuery) -> HistoryPage:
        origins = self._origins()
        clauses: list[str] = []
        args: list[Any] = []
        ids = query.workflow_ids
        if ids:
            clauses.append(f"wpid IN ({','.join('?' * len(ids))})")
            args.extend(ids)
        if query.schedule_id:
            clauses.append("schedule_id = ?")
            args.append(query.schedule_id)
        if query.status:
            clauses.append("status = ?")
            args.append(query.status)
        if query.created_after:
            clauses.append("created >= ?")
            args.append(query.created_after.timestamp())
        if query.created_before:
            clauses.append("created < ?")
            args.append(query.created_before.timestamp())
        if query.category:
            clauses.append("instr(categories, ?) > 0")
            args.append(f'"category": "{query.category}"')
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        start = (query.page - 1) * PAGE_SIZE
        if query.started_by is None:
            rows = index.select_rows(
                f"{where}ORDER BY created DESC LIMIT ? OFFSET ?", [*args, PAGE_SIZE + 1, start]
            )
        else:
            wanted = query.started_by
            rows = [
                r for r in index.select_rows(f"{where}ORDER BY created DESC", args)
                if started_by_of(r[0], r[13], r[14], origins) == wanted
            ][start : start + PAGE_SIZE + 1]  # fmt: skip
        runs = [IndexedRun.from_row(r).as_workflow_run(r[-1]) for r in rows[:PAGE_SIZE]]
        return HistoryPage(
            query, runs, more=len(rows) > PAGE_SIZE, origins=origins, as_of=self._as_of()
        )
