"""Where the run history's pages come from: the runs owner's feed for its history view.

The view says which runs it wants (``RunHistory.query_wanted``); the feed asks its source
(``core.runs.history.RunPages``: the server today, a local index of runs later) in one
named task, newest request wins, and gives the view the page. Every page listed also goes
to ``listed(runs, asked_at)``, where the runs owner learns which runs wait for a person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ...core.runs.history import HistoryPage, HistoryQuery, RunPages
from ...core.runs.history_source import ServerRunPages
from ..session import Session
from ..tasks import TaskRunner

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from .history import RunHistory

log = logging.getLogger(__name__)

TASK = "runs.history"


class RunHistoryFeed(QObject):
    """``listed(runs, asked_at)`` for every page the history showed."""

    listed = Signal(object, float)  # list[WorkflowRun], when it was asked (monotonic)

    def __init__(
        self,
        session: Session,
        tasks: TaskRunner,
        source: Callable[[SkyvernClient], RunPages] = ServerRunPages,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._source = source
        self._view: RunHistory | None = None
        session.client_changed.connect(self._on_client_changed)

    def bind(self, view: RunHistory) -> None:
        self._view = view
        view.query_wanted.connect(self.request)

    def request(self, query: HistoryQuery) -> None:
        if self._session.client is not None:
            self._tasks.spawn(TASK, self.load(query))

    async def load(self, query: HistoryQuery | None = None) -> HistoryPage | None:
        """The page of runs ``query`` names (by default what the view asks now), shown."""
        from ...api.errors import SkyvernError

        client, view = self._session.client, self._view
        if client is None or view is None:
            return None
        query = query if query is not None else view.query()
        asked_at = time.monotonic()
        try:
            page = await self._source(client).page(query)
        except SkyvernError as exc:
            log.info("run history: %s", exc)
            view.show_failure(str(exc))
            return None
        if client is not self._session.client:
            return None  # another server's runs
        view.show_page(page)
        self.listed.emit(page.runs, asked_at)
        return page

    def _on_client_changed(self) -> None:
        self._tasks.cancel(TASK)
        if self._view is not None:
            self._view.model.set_runs([])
            self._view.reload(reset_page=True)
