"""The server as the source of the run history's pages.

The server filters by one workflow, status, search and (for one workflow) creation date.
Several workflows, a failure category, who started a run, and a date range over every
workflow are applied here: the runs are read newest first, a page of
:data:`SCAN_PAGE_SIZE` at a time, and kept when they match, among the latest
:data:`~..schedules.rules.SCAN_LIMIT` runs of each workflow (the page says when it looked
no further).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..schedules.rules import SCAN_PAGE_SIZE, SCAN_PAGES
from .history import PAGE_SIZE, HistoryPage, HistoryQuery, Origins

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import WorkflowRun


@dataclass(frozen=True, slots=True)
class Scan:
    runs: list[WorkflowRun]  # newest first: enough for the page asked, and one more
    capped: bool  # stopped at the scan limit before the list ended


async def scan_runs(
    client: SkyvernClient,
    wpid: str | None,
    query: HistoryQuery,
    keep: Callable[[WorkflowRun], bool],
    wanted: int,
) -> Scan:
    """The newest ``wanted`` runs of a workflow (or of all) that ``keep`` keeps."""
    found: list[WorkflowRun] = []
    for server_page in range(1, SCAN_PAGES + 1):
        batch = await client.list_workflow_runs(
            workflow_permanent_id=wpid,
            status=[query.status] if query.status else None,
            search_key=query.search,
            page=server_page,
            page_size=SCAN_PAGE_SIZE,
            created_after=query.created_after if wpid else None,
            created_before=query.created_before if wpid else None,
        )
        found.extend(r for r in batch if keep(r))
        if len(found) >= wanted or len(batch) < SCAN_PAGE_SIZE:
            return Scan(found, capped=False)
        if query.created_after and batch[-1].created_at < query.created_after:
            return Scan(found, capped=False)  # newest first: the rest are older still
    return Scan(found, capped=True)


class ServerRunPages:
    """Pages of runs, as the server lists them, with the filters it lacks applied here.
    ``origins(base_url)`` says which runs this app and its batches started."""

    def __init__(
        self, client: SkyvernClient, origins: Callable[[str], Origins] | None = None
    ) -> None:
        self._client = client
        self._origins = origins

    async def page(self, query: HistoryQuery) -> HistoryPage:
        origins = self._origins(self._client.base_url) if self._origins else Origins()
        if query.schedule_id and query.workflow_permanent_id:
            # The server cannot filter by schedule either: the workflow's runs are read and
            # kept when they name the schedule (and pass the other filters).
            schedule_id = query.schedule_id
            return await self._scanned(
                query, (query.workflow_permanent_id,), origins,
                lambda r: r.workflow_schedule_id == schedule_id and query.keeps(r, origins),
            )  # fmt: skip
        if query.scans:
            return await self._scanned(
                query, query.workflow_ids or (None,), origins, lambda r: query.keeps(r, origins)
            )
        wpid = query.workflow_ids[0] if query.workflow_ids else None
        runs = await self._client.list_workflow_runs(
            workflow_permanent_id=wpid,
            status=[query.status] if query.status else None,
            search_key=query.search,
            page=query.page,
            page_size=PAGE_SIZE,
            created_after=query.created_after if wpid else None,
            created_before=query.created_before if wpid else None,
        )
        return HistoryPage(query, runs, more=len(runs) == PAGE_SIZE, origins=origins)

    async def _scanned(
        self,
        query: HistoryQuery,
        ids: tuple[str | None, ...],
        origins: Origins,
        keep: Callable[[WorkflowRun], bool],
    ) -> HistoryPage:
        """The page ``query`` names among the runs of ``ids`` (``None``: every workflow)
        that ``keep`` keeps, newest first."""
        wanted = query.page * PAGE_SIZE + 1  # one more says whether a next page exists
        found: list[WorkflowRun] = []
        capped = False
        for wpid in ids:
            part = await scan_runs(self._client, wpid, query, keep, wanted)
            found.extend(part.runs)
            capped = capped or part.capped
        found.sort(key=lambda r: r.created_at, reverse=True)
        start = (query.page - 1) * PAGE_SIZE
        page = found[start : start + PAGE_SIZE]
        return HistoryPage(query, page, len(found) > start + PAGE_SIZE, capped, origins)
