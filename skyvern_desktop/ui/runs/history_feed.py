"""Where the run history's pages come from: the runs owner's feed for its history view.

The view says which runs it wants (``RunHistory.query_wanted``); the feed asks its source
(``core.runs.history.RunPages``: the server today, a local index of runs later) in one
named task, newest request wins, and gives the view the page. Every page listed also goes
to ``listed(runs, asked_at)``, where the runs owner learns which runs wait for a person.

For the runs of one workflow it also reads the inputs the person chose to see as columns
(``GET /api/v1/workflows/{wpid}/runs/{id}`` per run on the page, an ended run's once), and
it writes the rows shown, with their inputs and outputs, when the view asks to export.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from ...core.runs.history import HistoryPage, HistoryQuery, RunPages
from ...core.runs.history_source import ServerRunPages
from ..session import Session
from ..tasks import TaskRunner

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import WorkflowRun
    from ...core.runs.details import DetailsReader, RunDetails
    from ..data.run_index import RunIndexOwner
    from .history import RunHistory

log = logging.getLogger(__name__)

TASK = "runs.history"
COLUMNS_SETTING = "history/inputColumns/"  # + wpid: the input keys shown as columns
READS_AT_ONCE = 6


class RunHistoryFeed(QObject):
    """``listed(runs, asked_at)`` for every page the history showed; ``message(text)`` for
    the status bar (an export written, or why not)."""

    listed = Signal(object, float)  # list[WorkflowRun], when it was asked (monotonic)
    message = Signal(str)

    def __init__(
        self,
        session: Session,
        tasks: TaskRunner,
        source: Callable[[SkyvernClient], RunPages] = ServerRunPages,
        settings: QSettings | None = None,
        parent: QObject | None = None,
        run_index: RunIndexOwner | None = None,
    ) -> None:
        super().__init__(parent)
        self._run_index = run_index
        self._awaiting_fresh = 0  # loads waiting for the index to read the server
        self._session = session
        self._tasks = tasks
        self._source = source
        self._settings = settings
        self._view: RunHistory | None = None
        self._page: HistoryPage | None = None
        self._reader: DetailsReader | None = None
        self._details: dict[str, RunDetails] = {}  # ended runs' details, kept
        session.client_changed.connect(self._on_client_changed)
        if run_index is not None:
            run_index.changed.connect(self._on_index_changed)

    def bind(self, view: RunHistory) -> None:
        self._view = view
        view.query_wanted.connect(self.request)
        view.columns_chosen.connect(self.choose_columns)
        view.export_requested.connect(
            lambda path: self._tasks.spawn(f"{TASK}.export", self.export(Path(path)))
        )
        if self._run_index is not None:
            run_index = self._run_index
            view.shown_changed.connect(lambda shown: run_index.want_fresh(TASK, shown))
            run_index.progress.connect(view.show_index_progress)

    @staticmethod
    def _answers_from_index(source: RunPages, query: HistoryQuery) -> bool:
        from ...core.runs.history_index import IndexedRunPages

        return isinstance(source, IndexedRunPages) and source.answers(query)

    def _on_index_changed(self) -> None:
        """The index read the server again: a page it answers is read again from it."""
        client, view = self._session.client, self._view
        if client is None or view is None or not view.isVisible() or self._awaiting_fresh:
            return  # (a load waiting for this sync shows its page itself)
        if self._answers_from_index(self._source(client), view.query()):
            self.request(view.query())

    def request(self, query: HistoryQuery) -> None:
        if self._session.client is not None:
            self._tasks.spawn(TASK, self.load(query))

    async def load(self, query: HistoryQuery | None = None) -> HistoryPage | None:
        """The page of runs ``query`` names (by default what the view asks now), shown.

        A page the index of runs answers is shown at once from it; the index then reads
        the server, and the page as it is after that is shown and returned."""
        client, view = self._session.client, self._view
        if client is None or view is None:
            return None
        query = query if query is not None else view.query()
        source = self._source(client)
        run_index = self._run_index
        if run_index is None or not self._answers_from_index(source, query):
            return await self._show(client, source, query)
        await self._show(client, source, query)
        self._awaiting_fresh += 1
        try:
            await run_index.fresh()
        finally:
            self._awaiting_fresh -= 1
        return await self._show(client, source, query)

    async def _show(
        self, client: SkyvernClient, source: RunPages, query: HistoryQuery
    ) -> HistoryPage | None:
        from ...api.errors import SkyvernError

        view = self._view
        assert view is not None
        asked_at = time.monotonic()
        try:
            page = await source.page(query)
        except SkyvernError as exc:
            log.info("run history: %s", exc)
            view.show_failure(str(exc))
            return None
        if client is not self._session.client:
            return None  # another server's runs
        view.show_page(page)
        self._page = page
        self.listed.emit(page.runs, page.as_of if page.as_of is not None else asked_at)
        self._tasks.spawn(f"{TASK}.inputs", self._show_inputs(page))
        return page

    # ------------------------------------------------------------------ input columns

    def _reader_for(self, client: SkyvernClient) -> DetailsReader:
        from ...core.runs.details import DetailsReader

        if self._reader is None or self._reader.client is not client:
            self._reader = DetailsReader(client)
            self._details.clear()
        return self._reader

    def chosen_columns(self, wpid: str) -> list[str]:
        if self._settings is None:
            return []
        value = self._settings.value(COLUMNS_SETTING + wpid, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def choose_columns(self, wpid: str, keys: list[str]) -> None:
        if self._settings is not None:
            self._settings.setValue(COLUMNS_SETTING + wpid, list(keys))
        if self._page is not None:
            self._tasks.spawn(f"{TASK}.inputs", self._show_inputs(self._page))

    async def _show_inputs(self, page: HistoryPage) -> None:
        client, view = self._session.client, self._view
        if client is None or view is None:
            return
        ids = page.query.workflow_ids
        if len(ids) != 1:
            view.set_input_choices(None, [], [])
            return
        wpid = ids[0]
        reader = self._reader_for(client)
        from ...core.forms.params import FieldSpec

        definition = await reader.definition(wpid)
        choices = [(p.key, FieldSpec.from_parameter(p).label) for p in definition if p.is_input]
        chosen = self.chosen_columns(wpid)
        view.set_input_choices(wpid, choices, chosen)
        if not chosen or not page.runs:
            return
        details = await self.details_of(client, page.runs)
        view.show_inputs(
            {run_id: {r.key: r.shown for r in d.inputs} for run_id, d in details.items()}
        )

    async def details_of(
        self, client: SkyvernClient, runs: list[WorkflowRun]
    ) -> dict[str, RunDetails]:
        """The details of ``runs`` (an ended run's are read once), a few at a time."""
        reader = self._reader_for(client)
        gate = asyncio.Semaphore(READS_AT_ONCE)

        async def one(run: WorkflowRun) -> None:
            if run.workflow_run_id in self._details:
                return
            async with gate:
                found = await reader.read(run)
            if run.is_terminal and found.detail is not None:
                self._details[run.workflow_run_id] = found
            out[run.workflow_run_id] = found

        out: dict[str, RunDetails] = {}
        await asyncio.gather(*(one(r) for r in runs))
        known = {**self._details, **out}
        return {r.workflow_run_id: known[r.workflow_run_id] for r in runs
                if r.workflow_run_id in known}  # fmt: skip

    # ------------------------------------------------------------------ export

    async def export(self, path: Path) -> bool:
        """The rows shown, with their inputs and outputs, to ``path`` (CSV or XLSX)."""
        from ...core.exports import write_table
        from ...core.runs.history_export import history_table

        client, page = self._session.client, self._page
        if client is None or page is None or not page.runs:
            self.message.emit("There are no runs to export.")
            return False
        details = await self.details_of(client, page.runs)
        table = history_table(page.runs, details, page.origins)
        try:
            await asyncio.to_thread(write_table, path, table, "Runs")
        except OSError as exc:
            self.message.emit(f"Could not export the runs to {path.name}: {exc.strerror or exc}")
            return False
        n = len(page.runs)
        self.message.emit(f"Exported {n} run{'s' if n != 1 else ''} to {path.name}.")
        return True

    def _on_client_changed(self) -> None:
        self._tasks.cancel(TASK)
        self._tasks.cancel(f"{TASK}.inputs")
        self._page = None
        if self._view is not None:
            self._view.model.set_runs([])
            self._view.reload(reset_page=True)
