"""The Workflows screen: every workflow, searchable, with its inputs and recent activity.

A passive screen: it shows the catalogue's model and status (``ui/data/catalogue.py`` loads
them) and emits intents; it makes no request of its own."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QByteArray, QItemSelection, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
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

from ..changes import Change, ChangeKind
from ..data.status import CatalogueState, CatalogueStatus
from ..data.workflows_model import WORKFLOW_ID_ROLE, Column, WorkflowFilterModel, WorkflowTableModel
from ..widgets.state_panel import StatePanel
from .details import WorkflowDetails

SEARCH_DELAY_MS = 400


class WorkflowsPage(QWidget):
    launch_requested = Signal(str)  # workflow_permanent_id
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    batch_requested = Signal(str)  # workflow_permanent_id
    connections_requested = Signal()
    new_schedule_requested = Signal(str)  # workflow_permanent_id
    edit_schedule_requested = Signal(str, str)  # workflow_permanent_id, schedule_id
    workflow_shown = Signal(object, object)  # workflow_permanent_id | None, title | None
    refresh_requested = Signal()
    search_requested = Signal(str)  # ask the server too (after a pause in typing)
    shown_changed = Signal(bool)  # on screen or not (the list refreshes itself while shown)
    schedules_wanted = Signal(str)  # workflow_permanent_id: its schedules, again

    def __init__(self, model: WorkflowTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workflowsPage")
        self._launch_available = False
        self._loaded = asyncio.Event()
        self.status = CatalogueStatus(CatalogueState.DISCONNECTED)

        self.model = model
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
        self.refresh_button.clicked.connect(self.refresh_requested)
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

        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.model.dataChanged.connect(self._on_activity)
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

    def workflow_title(self, wpid: str) -> str | None:
        """The title of a listed workflow (``None`` when it is not in the list)."""
        workflow = self.model.workflow(wpid)
        return workflow.title if workflow is not None else None

    async def wait_loaded(self) -> None:
        """Until the owner said the first full load (and the activity columns) finished or
        failed."""
        await self._loaded.wait()

    def set_loaded(self, loaded: bool) -> None:
        if loaded:
            self._loaded.set()
        else:
            self._loaded.clear()

    @property
    def last_error(self) -> str | None:
        return self.status.message if self.status.state is CatalogueState.FAILED else None

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.refresh_requested.emit()

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
            self.schedules_wanted.emit(wpid)
        self.refresh_requested.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.shown_changed.emit(False)

    # ------------------------------------------------------------------ what the owner says

    def show_status(self, status: CatalogueStatus) -> None:
        """The catalogue's state: loading, the list, empty, failed (rows kept), or not
        connected."""
        self.status = status
        state = status.state
        self.refresh_button.setEnabled(state is not CatalogueState.LOADING)
        if state is CatalogueState.DISCONNECTED:
            self.details.show_workflow(None)
            self.banner.hide()
            self._loaded.set()
            self._show_disconnected()
        elif state is CatalogueState.LOADING:
            if status.loaded == 0 and self.model.rowCount() == 0:
                self._loaded.clear()
                self.banner.hide()
                self.details.show_workflow(None)
                self.panel.show_loading("Loading workflows…", f"From {status.base_url}")
            elif self.model.rowCount():
                self.panel.show_content()
                self._select_first_if_none()
            if status.kept:
                self.panel.show_content()
                self._select_first_if_none()
                self._update_count()
            elif status.loaded:
                self.count_label.setText(f"Loading… {status.loaded} so far")
        elif state is CatalogueState.FAILED:
            if self.model.rowCount() == 0:
                self.panel.show_error("Could not load the workflows", status.message)
            else:
                self.banner.setText(
                    f"Could not refresh the workflows: {status.message} Showing what was"
                    " loaded before."
                )
                self.banner.show()
            self._update_count()
        elif state is CatalogueState.EMPTY:
            self.banner.hide()
            self._update_count()
            self.panel.show_empty(
                "No workflows yet",
                "This server has no workflows. Create one in Skyvern, then refresh.",
                "Refresh",
            )
        else:
            self.banner.hide()
            self._update_count()
            self.panel.show_content()
            self._select_first_if_none()
            self._show_details(self.selected_workflow_id())

    def show_search_hits(self, text: str, wpids: list[str]) -> None:
        """The server's search answered: its hits stay in the filter too."""
        if self.search.text() != text:
            return
        self.proxy.set_server_hits(text, wpids)
        self._update_count()

    # ------------------------------------------------------------------ slots

    def _show_disconnected(self) -> None:
        self.panel.show_empty(
            "Not connected",
            "Choose a Skyvern server to see its workflows.",
            "Connections…",
        )
        self.count_label.setText("")

    def _on_panel_action(self) -> None:
        if self.status.state is CatalogueState.DISCONNECTED:
            self.connections_requested.emit()
        else:
            self.refresh_requested.emit()

    def _on_search_text(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count()
        self._search_timer.start()

    def _start_server_search(self) -> None:
        text = self.search.text()
        if text.strip():
            self.search_requested.emit(text)

    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _update_count(self, *_: object) -> None:
        if self.status.state is CatalogueState.LOADING and self.status.loaded:
            return  # "Loading… N so far" until the list is whole
        if self.status.kept:
            total = self.model.rowCount()
            self.count_label.setText(f"{total} workflow{'s' if total != 1 else ''} · updating…")
            self.count_label.setToolTip(
                "The list as it was when the app last closed, while the server is asked again"
            )
            return
        self.count_label.setToolTip("")
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

    def _on_activity(self, *_: object) -> None:
        """The Last run column changed: the details panel shows the newest last run."""
        wpid = self.selected_workflow_id()
        if wpid is not None:
            self._show_details(wpid)

    def _select_first_if_none(self) -> None:
        if not self.table.selectionModel().hasSelection() and self.proxy.rowCount():
            self.table.selectRow(0)

    def _on_selection(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._show_details(self.selected_workflow_id())

    def _show_details(self, wpid: str | None) -> None:
        """The details panel shows the selected workflow (its ``workflow_shown`` tells the
        owner, which gives it that workflow's schedules)."""
        row = self.model.row_of(wpid) if wpid else None
        if row is None:
            self.details.show_workflow(None)
            return
        data = self.model.rows[row]
        workflow = self.model.workflow(data.wpid)  # None while the row is the kept list's
        if workflow is None:
            kept = data.workflow
            self.details.show_kept(kept.workflow_permanent_id, kept.title, kept.description)
            return
        last = data.last_run.workflow_run_id if data.last_run else None
        self.details.show_workflow(workflow, last)

    def _on_activated(self, index: QModelIndex) -> None:
        if self._launch_available and index.isValid():
            self.launch_requested.emit(str(index.data(WORKFLOW_ID_ROLE)))

    def _on_enter(self) -> None:
        wpid = self.selected_workflow_id()
        if wpid and self._launch_available:
            self.launch_requested.emit(wpid)
