"""The Workflows screen: every workflow, searchable, with its inputs and recent activity."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QItemSelection, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import ServerError, SkyvernError
from ..context import Change, ChangeKind
from ..session import Session
from ..tasks import TaskRunner
from ..widgets.state_panel import StatePanel
from .details import WorkflowDetails
from .details_schedules import DetailsSchedules
from .model import (
    WORKFLOW_ID_ROLE,
    Column,
    ScheduleCount,
    WorkflowFilterModel,
    WorkflowTableModel,
)

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import Workflow, WorkflowRun

log = logging.getLogger(__name__)

PAGE_SIZE = 100
FIRST_PAGE_SIZE = 20
RECENT_RUNS = 200
SEARCH_DELAY_MS = 400
AUTO_REFRESH_MS = 60_000
PER_WORKFLOW_RUN_LOOKUPS = 300


class WorkflowsPage(QWidget):
    launch_requested = Signal(str)  # workflow_permanent_id
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    batch_requested = Signal(str)  # workflow_permanent_id
    connections_requested = Signal()
    new_schedule_requested = Signal(str)  # workflow_permanent_id
    edit_schedule_requested = Signal(str, str)  # workflow_permanent_id, schedule_id
    schedules_changed = Signal(str)  # workflow_permanent_id (a switch in the details panel)
    workflow_shown = Signal(object, object)  # workflow_permanent_id | None, title | None

    def __init__(self, session: Session, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workflowsPage")
        self._session = session
        self._tasks = tasks
        self._launch_available = False
        self._loaded = asyncio.Event()
        self._last_error: str | None = None

        self.model = WorkflowTableModel(self)
        self.proxy = WorkflowFilterModel(self.model, self)

        # --- toolbar: search, count, refresh
        self.search = QLineEdit()
        self.search.setObjectName("workflowSearch")
        self.search.setAccessibleName("Search workflows")
        self.search.setPlaceholderText(
            "Search workflows by title, ID, description or input  (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text)
        self.count_label = QLabel()
        self.count_label.setObjectName("workflowCount")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("workflowRefresh")
        self.refresh_button.setAccessibleName("Refresh workflows")
        self.refresh_button.setToolTip("Load the workflows again (Ctrl+R)")
        self.refresh_button.clicked.connect(self.request_refresh)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.refresh_button)

        self.banner = QLabel()
        self.banner.setObjectName("workflowBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel { background: #fff4e5; color: #6b3d00; border: 1px solid #f0c36d;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.banner.hide()

        # --- table and details
        self.table = QTableView()
        self.table.setObjectName("workflowTable")
        self.table.setAccessibleName("Workflows")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.TITLE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        for col, width in (
            (Column.TITLE, 220), (Column.ID, 190), (Column.DESCRIPTION, 270), (Column.INPUTS, 55),
            (Column.LAST_RUN, 170), (Column.SCHEDULES, 80), (Column.MODIFIED, 100),
        ):  # fmt: skip
            header.resizeSection(col, width)
        self.table.doubleClicked.connect(self._on_activated)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.table)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self._on_enter)

        self.details = WorkflowDetails()
        self.details.workflow_shown.connect(self.workflow_shown)
        self.details.run_clicked.connect(self.launch_requested)
        self.details.rerun_clicked.connect(self.rerun_requested)
        self.details.batch_clicked.connect(self.batch_requested)
        self.details.new_schedule_clicked.connect(self.new_schedule_requested)
        self.details.edit_schedule_clicked.connect(self.edit_schedule_requested)
        self.details_schedules = DetailsSchedules(self.details, session, tasks, parent=self)
        self.details_schedules.changed.connect(self.schedules_changed)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("workflowsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([430, 290])

        self.panel = StatePanel(self.splitter, "workflows")
        self.panel.action_clicked.connect(self._on_panel_action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.panel, 1)

        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self._focus_search)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._start_server_search)
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setInterval(AUTO_REFRESH_MS)
        self._auto_refresh.timeout.connect(self._on_auto_refresh)

        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        session.client_changed.connect(self._on_client_changed)
        self._show_disconnected()

    # ------------------------------------------------------------------ public

    def set_launch_available(self, available: bool) -> None:
        self._launch_available = available
        self.details.set_launch_available(available)

    def selected_workflow_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(rows[0].data(WORKFLOW_ID_ROLE)) if rows else None

    def select_workflow(self, wpid: str) -> bool:
        source_row = self.model.row_of(wpid)
        if source_row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def request_refresh(self) -> None:
        if self._session.client is None:
            return
        self._tasks.spawn("workflows.refresh", self.load(), replace=False)

    def workflow_title(self, wpid: str) -> str | None:
        """The title of a listed workflow (``None`` when it is not in the list)."""
        workflow = self.model.workflow(wpid)
        return workflow.title if workflow is not None else None

    async def workflow_choices(self) -> list[tuple[str, str]]:
        """(workflow_permanent_id, title) of every workflow, once the list has loaded."""
        await self.wait_loaded()
        return [(row.wpid, row.workflow.title) for row in self.model.rows]

    async def wait_loaded(self) -> None:
        """Wait until the first full load (and the activity columns) finished or failed."""
        await self._loaded.wait()

    @property
    def last_error(self) -> str | None:
        return self._last_error

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.request_refresh()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("workflows/splitter", self.splitter.saveState())
        settings.setValue("workflows/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        splitter = settings.value("workflows/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        header = settings.value("workflows/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def on_change(self, change: Change) -> None:
        """A run started or ended (the Last run column), schedules changed (the Schedules
        column, and the details panel when it shows that workflow), workflows changed."""
        wpid = change.workflow_permanent_id
        if change.kind is ChangeKind.SCHEDULES and wpid and self.selected_workflow_id() == wpid:
            self.reload_workflow_schedules(wpid)
        self.request_refresh()

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        """Load every workflow page by page, then the last runs and schedule counts."""
        client = self._session.client
        if client is None:
            self._show_disconnected()
            self._loaded.set()
            return
        first_load = self.model.rowCount() == 0
        if first_load:
            self.panel.show_loading("Loading workflows…", f"From {client.base_url}")
        self.refresh_button.setEnabled(False)
        seen: dict[str, Workflow] = {}

        def arrived(page: list[Workflow]) -> None:
            seen.update((w.workflow_permanent_id, w) for w in page)
            if first_load:
                self.model.upsert(page)
                if self.model.rowCount():
                    self.panel.show_content()
                    self._select_first_if_none()
                self.count_label.setText(f"Loading… {len(seen)} so far")

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
            self._on_load_error(exc)
            return
        finally:
            self.refresh_button.setEnabled(True)
        self._last_error = None
        self.banner.hide()
        self._session.note_success()
        self.model.upsert(seen.values())
        self.model.retain(set(seen))
        self._update_count()
        if self.model.rowCount() == 0:
            self.panel.show_empty(
                "No workflows yet",
                "This server has no workflows. Create one in Skyvern, then refresh.",
                "Refresh",
            )
        else:
            self.panel.show_content()
            self._select_first_if_none()
        self._auto_refresh.start()
        # The activity columns load in a task of their own, so the list's refresh is done
        # (and Refresh works again) as soon as the list itself is.
        self._tasks.spawn("workflows.activity", self.load_activity(client, list(seen.values())))

    async def load_activity(self, client: SkyvernClient, workflows: list[Workflow]) -> None:
        """Fill the Last run and Schedules columns."""
        try:
            await asyncio.gather(
                self._load_last_runs(client, workflows), self._load_schedules(client)
            )
        finally:
            self._loaded.set()

    async def _load_last_runs(self, client: SkyvernClient, workflows: list[Workflow]) -> None:
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
            self._show_details(self.selected_workflow_id())
            return
        self.model.set_last_runs(latest)
        self._show_details(self.selected_workflow_id())
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

    async def _load_schedules(self, client: SkyvernClient) -> None:
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

    def _on_load_error(self, exc: SkyvernError) -> None:
        self._last_error = str(exc)
        self._session.note_error(exc)
        if self.model.rowCount() == 0:
            self.panel.show_error("Could not load the workflows", str(exc))
        else:
            self.banner.setText(
                f"Could not refresh the workflows: {exc} Showing what was loaded before."
            )
            self.banner.show()
        self._update_count()
        self._loaded.set()

    async def server_search(self, text: str) -> None:
        """Ask the server too: its search also looks at input descriptions and defaults."""
        client = self._session.client
        if client is None or not text.strip():
            return
        try:
            found = await client.list_all_workflows(search_key=text.strip(), page_size=PAGE_SIZE)
        except SkyvernError as exc:
            log.info("server search failed: %s", exc)
            return
        if self.search.text() != text:
            return
        self.model.upsert(found)
        self.proxy.set_server_hits(text, (w.workflow_permanent_id for w in found))
        self._update_count()

    # ------------------------------------------------------------------ slots

    def _on_client_changed(self) -> None:
        self._tasks.cancel("workflows.refresh")
        self._tasks.cancel("workflows.activity")
        self._tasks.cancel("workflows.search")
        self.details_schedules.forget()
        self._auto_refresh.stop()
        self.model.clear()
        self.details.show_workflow(None)
        self.banner.hide()
        self._loaded.clear()
        if self._session.client is None:
            self._show_disconnected()
        else:
            self.panel.show_loading("Loading workflows…", f"From {self._session.client.base_url}")
            self._tasks.spawn("workflows.refresh", self.load())

    def _show_disconnected(self) -> None:
        self.panel.show_empty(
            "Not connected",
            "Choose a Skyvern server to see its workflows.",
            "Connections…",
        )
        self.count_label.setText("")

    def _on_panel_action(self) -> None:
        if self._session.client is None:
            self.connections_requested.emit()
        else:
            self.request_refresh()

    def _on_auto_refresh(self) -> None:
        if (self.isVisible() and self.window().isActiveWindow()) or self.isVisible():
            self.request_refresh()

    def _on_search_text(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()
        self._search_timer.start()

    def _start_server_search(self) -> None:
        text = self.search.text()
        if text.strip() and self._session.client is not None:
            self._tasks.spawn("workflows.search", self.server_search(text))

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _update_count(self, *_: object) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if self.proxy.text and shown == 0 and total:
            self.count_label.setText(f"No workflow matches “{self.search.text().strip()}”")
        elif self.proxy.text:
            self.count_label.setText(f"{shown} of {total} workflows")
        elif total:
            self.count_label.setText(f"{total} workflow{'s' if total != 1 else ''}")
        else:
            self.count_label.setText("")  # the state panel says why the list is empty

    def _select_first_if_none(self) -> None:
        if not self.table.selectionModel().hasSelection() and self.proxy.rowCount():
            self.table.selectRow(0)

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        wpid = self.selected_workflow_id()
        self._show_details(wpid)

    def _show_details(self, wpid: str | None) -> None:
        row = self.model.row_of(wpid) if wpid else None
        if row is None:
            self.details.show_workflow(None)
            self.details_schedules.shown_for = None
            return
        data = self.model.rows[row]
        last = data.last_run.workflow_run_id if data.last_run else None
        self.details.show_workflow(data.workflow, last)
        if wpid != self.details_schedules.shown_for:
            self.reload_workflow_schedules(wpid)

    def reload_workflow_schedules(self, wpid: str | None = None) -> None:
        """Load the schedules the details panel lists (for ``wpid``, or the one shown)."""
        self.details_schedules.reload(wpid)

    def _on_activated(self, index: QModelIndex) -> None:
        if self._launch_available and index.isValid():
            self.launch_requested.emit(str(index.data(WORKFLOW_ID_ROLE)))

    def _on_enter(self) -> None:
        wpid = self.selected_workflow_id()
        if wpid and self._launch_available:
            self.launch_requested.emit(wpid)
