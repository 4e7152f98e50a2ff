"""The catalogue: every workflow of the connected server, owned in one place.

It loads the list page by page (a small first page paints sooner), then the activity
columns (each workflow's last run, its schedules), refreshes every minute while the
Workflows screen is on show, asks the server when a search is typed, and answers every
owner that needs a workflow's title or the list (the runs, schedules, batch owners). The
Workflows screen only shows its model and its status, and emits intents. No screen asks the
server for the list itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from ..changes import ChangeKind, Changes
from ..screen import ScreenOwner
from .status import CatalogueState, CatalogueStatus
from .workflow_schedules import SchedulesView, WorkflowSchedules
from .workflows_model import ScheduleCount, WorkflowTableModel

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.errors import SkyvernError
    from ...api.models import Workflow, WorkflowRun
    from ...core.connection.profiles import Profile
    from ...core.storage.workflow_lists import WorkflowLists
    from ..session import Session
    from ..tasks import TaskRunner

log = logging.getLogger(__name__)

PAGE_SIZE = 100
FIRST_PAGE_SIZE = 20
RECENT_RUNS = 200
AUTO_REFRESH_MS = 60_000
PER_WORKFLOW_RUN_LOOKUPS = 300


class CatalogueView(Protocol):
    """What the catalogue needs of the screen that shows it (the Workflows screen, which
    this module must not import: every owner reads the catalogue, no screen's code)."""

    @property
    def refresh_requested(self) -> SignalInstance: ...
    @property
    def search_requested(self) -> SignalInstance: ...
    @property
    def shown_changed(self) -> SignalInstance: ...
    @property
    def workflow_shown(self) -> SignalInstance: ...
    @property
    def schedules_wanted(self) -> SignalInstance: ...
    @property
    def details(self) -> SchedulesView: ...
    def show_status(self, status: CatalogueStatus) -> None: ...
    def show_search_hits(self, text: str, wpids: list[str]) -> None: ...
    def set_loaded(self, loaded: bool) -> None: ...


class WorkflowCatalogue(QObject, ScreenOwner[CatalogueView]):
    """``status_changed(CatalogueStatus)``; ``search_hits(text, wpids)`` when the server's
    search answered; ``activity_loaded()`` once the list and its activity columns are in."""

    status_changed = Signal(object)  # CatalogueStatus
    search_hits = Signal(str, object)  # text, list[str]
    activity_loaded = Signal()

    def __init__(
        self, session: Session, tasks: TaskRunner, changes: Changes,
        lists: WorkflowLists | None = None, parent: QObject | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._lists = lists  # the last list of each connection, for the next start
        self._kept_for: str | None = None  # the connection whose kept list is shown
        self.model = WorkflowTableModel(self)
        self.status = CatalogueStatus(CatalogueState.DISCONNECTED)
        self.last_error: str | None = None
        self._loaded = asyncio.Event()
        self._selected: str | None = None
        self._shown = False
        self.schedules = WorkflowSchedules(session, tasks, parent=self)
        self.schedules.changed.connect(lambda wpid: changes.announce(ChangeKind.SCHEDULES, wpid))
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setInterval(AUTO_REFRESH_MS)
        self._auto_refresh.timeout.connect(self._on_auto_refresh)
        session.client_changed.connect(self._on_client_changed)

    # ------------------------------------------------------------------ the screen

    def on_attach(self, page: CatalogueView) -> None:
        """The Workflows screen: it shows this model and status, and asks for refreshes,
        searches, and the schedules of the workflow it shows."""
        page.refresh_requested.connect(self.request_refresh)
        page.search_requested.connect(self.search)
        page.shown_changed.connect(self._on_shown)
        page.workflow_shown.connect(self._on_workflow_shown)
        self.status_changed.connect(page.show_status)
        self.search_hits.connect(page.show_search_hits)
        self.activity_loaded.connect(lambda: page.set_loaded(True))
        page.schedules_wanted.connect(self.schedules.reload)
        self.schedules.bind(page.details)
        page.show_status(self.status)

    # ------------------------------------------------------------------ what owners read

    def title(self, wpid: str) -> str | None:
        """The title of a listed workflow, the kept list's too (``None`` when not listed)."""
        return self.model.title(wpid)

    def workflow(self, wpid: str) -> Workflow | None:
        return self.model.workflow(wpid)

    async def workflow_choices(self) -> list[tuple[str, str]]:
        """(workflow_permanent_id, title) of every workflow, once the list has loaded."""
        await self.wait_loaded()
        return [(row.wpid, row.workflow.title) for row in self.model.rows]

    def selected_workflow_id(self) -> str | None:
        """The workflow the Workflows screen shows (new schedules are for it)."""
        return self._selected

    async def wait_loaded(self) -> None:
        """Until the first full load (and the activity columns) finished or failed."""
        await self._loaded.wait()

    # ------------------------------------------------------------------ the kept list

    def show_kept(self, identity: str | None) -> bool:
        """Show the list kept for connection ``identity`` from the last time it loaded,
        before the connection is even made (the window has just painted). It is marked as
        being updated; when the connection turns out to be another, it goes at once."""
        if identity is None or self._lists is None or self.model.rowCount():
            return False
        kept = self._lists.load(identity)
        if kept is None or not kept[1]:
            return False
        base_url, workflows = kept
        self._kept_for = identity
        self.model.upsert(workflows)
        self._set_status(CatalogueStatus(CatalogueState.LOADING, base_url, kept=True))
        return True

    async def show_kept_for(self, active: Profile | None, *, use_local: bool) -> None:
        """At start, right after the window has painted: the kept list of the connection
        the app is about to open (``active``, or the local server), painted at once."""
        from ...core.connection.profiles import expected_list_identity

        if self.show_kept(expected_list_identity(active, use_local=use_local)):
            await asyncio.sleep(0)  # one paint, before the flows are built

    def _keep(self, base_url: str, workflows: list[Workflow]) -> None:
        identity = self._session.identity
        if identity is None or self._lists is None:
            return
        from ...core.storage.workflow_lists import summary

        self._lists.save(identity, base_url, [summary(w) for w in workflows])

    # ------------------------------------------------------------------ loading

    def request_refresh(self) -> None:
        if self._session.client is None:
            return
        self._tasks.spawn("workflows.refresh", self.load(), replace=False)

    def _set_status(self, status: CatalogueStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    async def load(self) -> None:
        """Load every workflow page by page, then the last runs and schedule counts."""
        from ...api.errors import SkyvernError

        client = self._session.client
        if client is None:
            self._set_status(CatalogueStatus(CatalogueState.DISCONNECTED))
            self._loaded.set()
            return
        first_load = self.model.rowCount() == 0
        base = client.base_url
        kept = self.model.kept_rows > 0
        self._set_status(CatalogueStatus(CatalogueState.LOADING, base, kept=kept))
        seen: dict[str, Workflow] = {}

        def arrived(page: list[Workflow]) -> None:
            seen.update((w.workflow_permanent_id, w) for w in page)
            if first_load:
                self.model.upsert(page)
                self._set_status(CatalogueStatus(CatalogueState.LOADING, base, loaded=len(seen)))

        try:
            # A small first page paints the list sooner; then full pages from the start
            # (the first few rows come twice and are merged by id).
            first = await client.list_workflows(page=1, page_size=FIRST_PAGE_SIZE)
            if client is not self._session.client:
                return
            arrived(first)
            if len(first) == FIRST_PAGE_SIZE:
                await asyncio.sleep(0)  # the first rows paint before more are asked for
                async for page in client.iter_workflow_pages(page_size=PAGE_SIZE):
                    if client is not self._session.client:
                        return
                    arrived(page)
        except SkyvernError as exc:
            self._on_load_error(exc, base)
            return
        self.last_error = None
        self._session.note_success()
        self.model.upsert(seen.values())
        self.model.retain(set(seen))  # a kept workflow that has since gone goes now
        self._kept_for = None
        self._keep(base, list(seen.values()))
        state = CatalogueState.READY if self.model.rowCount() else CatalogueState.EMPTY
        self._set_status(CatalogueStatus(state, base))
        self._auto_refresh.start()
        # The activity columns load in a task of their own, so the list's refresh is done
        # (and Refresh works again) as soon as the list itself is.
        self._tasks.spawn("workflows.activity", self.load_activity(client, list(seen.values())))

    def _on_load_error(self, exc: SkyvernError, base: str) -> None:
        self._kept_for = None
        self.last_error = str(exc)
        self._session.note_error(exc)
        self._set_status(CatalogueStatus(CatalogueState.FAILED, base, message=str(exc)))
        self._loaded.set()
        self.activity_loaded.emit()

    async def load_activity(self, client: SkyvernClient, workflows: list[Workflow]) -> None:
        """Fill the Last run and Schedules columns."""
        try:
            await asyncio.gather(
                self._load_last_runs(client, workflows), self._load_schedule_counts(client)
            )
        finally:
            self._loaded.set()
            self.activity_loaded.emit()

    async def _load_last_runs(self, client: SkyvernClient, workflows: list[Workflow]) -> None:
        from ...api.errors import SkyvernError

        try:
            recent = await client.list_workflow_runs(page_size=RECENT_RUNS)
        except SkyvernError as exc:
            log.warning("could not load recent runs: %s", exc)
            return
        latest: dict[str, WorkflowRun | None] = {}
        for run in recent:  # newest first
            latest.setdefault(run.workflow_permanent_id, run)
        if len(recent) < RECENT_RUNS:
            # We saw every run there is: a workflow not among them has never run.
            for wf in workflows:
                latest.setdefault(wf.workflow_permanent_id, None)
            self.model.set_last_runs(latest)
            return
        self.model.set_last_runs(latest)
        # Older activity: ask per workflow, a few at a time, for the first few hundred.
        missing = [
            w.workflow_permanent_id for w in workflows if w.workflow_permanent_id not in latest
        ]
        limit = asyncio.Semaphore(4)

        async def one(wpid: str) -> None:
            async with limit:
                try:
                    runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=1)
                except SkyvernError:
                    return
                self.model.set_last_runs({wpid: runs[0] if runs else None})

        await asyncio.gather(*(one(w) for w in missing[:PER_WORKFLOW_RUN_LOOKUPS]))

    async def _load_schedule_counts(self, client: SkyvernClient) -> None:
        from ...api.errors import ServerError, SkyvernError

        counts: dict[str, ScheduleCount] = {}
        page = 1
        try:
            while True:
                result = await client.list_schedules(page=page, page_size=100)
                for s in result.schedules:
                    c = counts.get(s.workflow_permanent_id, ScheduleCount())
                    counts[s.workflow_permanent_id] = ScheduleCount(
                        c.active + s.enabled, c.paused + (not s.enabled)
                    )
                if not result.schedules or page * result.page_size >= result.total_count:
                    break
                page += 1
        except ServerError as exc:
            if exc.status_code == 501:
                self.model.set_schedule_counts(None)
                return
            log.warning("could not load schedules: %s", exc)
            return
        except SkyvernError as exc:
            log.warning("could not load schedules: %s", exc)
            return
        self.model.set_schedule_counts(counts)

    def search(self, text: str) -> None:
        """Ask the server too: its search also looks at input descriptions and defaults."""
        if text.strip() and self._session.client is not None:
            self._tasks.spawn("workflows.search", self._search(text))

    async def _search(self, text: str) -> None:
        from ...api.errors import SkyvernError

        client = self._session.client
        if client is None:
            return
        try:
            found = await client.list_all_workflows(search_key=text.strip(), page_size=PAGE_SIZE)
        except SkyvernError as exc:
            log.info("server search failed: %s", exc)
            return
        self.model.upsert(found)
        self.search_hits.emit(text, [w.workflow_permanent_id for w in found])

    # ------------------------------------------------------------------ slots

    def _on_client_changed(self) -> None:
        for name in ("workflows.refresh", "workflows.activity", "workflows.search"):
            self._tasks.cancel(name)
        self.schedules.forget()
        self._auto_refresh.stop()
        self._loaded.clear()
        client = self._session.client
        if self._kept_for is None or self._kept_for != self._session.identity:
            # Never another connection's list: only the kept list of this very
            # connection stays on show while it is loaded again.
            self.model.clear()
            self._kept_for = None
        if client is None:
            self._set_status(CatalogueStatus(CatalogueState.DISCONNECTED))
        else:
            kept = self._kept_for is not None
            self._set_status(CatalogueStatus(CatalogueState.LOADING, client.base_url, kept=kept))
            self._tasks.spawn("workflows.refresh", self.load())

    def _on_shown(self, shown: bool) -> None:
        self._shown = shown

    def _on_workflow_shown(self, wpid: str | None, _title: str | None) -> None:
        self._selected = wpid
        self.schedules.show_for(wpid)

    def _on_auto_refresh(self) -> None:
        if self._shown:
            self.request_refresh()
