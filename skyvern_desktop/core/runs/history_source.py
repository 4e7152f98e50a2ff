"""The server as the source of the run history's pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schedules.requests import runs_of_schedule
from .history import PAGE_SIZE, HistoryPage, HistoryQuery

if TYPE_CHECKING:
    from ...api.client import SkyvernClient


class ServerRunPages:
    """Pages of runs, as the server lists them."""

    def __init__(self, client: SkyvernClient) -> None:
        self._client = client

    async def page(self, query: HistoryQuery) -> HistoryPage:
        if query.schedule_id and query.workflow_permanent_id:
            scan = await runs_of_schedule(
                self._client, query.workflow_permanent_id, query.schedule_id,
                status=query.status, search=query.search, page=query.page, page_size=PAGE_SIZE,
            )  # fmt: skip
            return HistoryPage(query, scan.runs, scan.more, scan.capped)
        runs = await self._client.list_workflow_runs(
            workflow_permanent_id=query.workflow_permanent_id,
            status=[query.status] if query.status else None,
            search_key=query.search,
            page=query.page,
            page_size=PAGE_SIZE,
        )
        return HistoryPage(query, runs, more=len(runs) == PAGE_SIZE)
