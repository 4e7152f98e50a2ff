"""The run history: workflow runs of every workflow or of the selected one, filtered and paged.

A passive view: it says which runs it wants to show (``query_wanted(HistoryQuery)``, when
a filter or the page changes, or every few seconds while a run on it is still going) and
shows the page its owner (``history_feed.RunHistoryFeed``) gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.enums import RunStatus, TriggerType
from ...core.runs.history import WAITING, HistoryPage, HistoryQuery
from ...core.schedules.rules import SCAN_LIMIT
from ..format import duration_text, exact_time, relative_time, status_color, status_label
from ..widgets.state_panel import StatePanel
from ..widgets.table_model import ListTableModel

if TYPE_CHECKING:
    from ...api.models import WorkflowRun

ACTIVE_REFRESH_MS = 5_000
_HEADERS = ("Run", "Workflow", "Status", "Started by", "Created", "Took")
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
WPID_ROLE = Qt.ItemDataRole.UserRole + 2


class RunHistoryModel(ListTableModel["WorkflowRun"]):
    headers = _HEADERS

    @property
    def runs(self) -> list[WorkflowRun]:
        return self.items

    def set_runs(self, runs: list[WorkflowRun]) -> None:
        self.set_items(runs)

    def cell(self, run: WorkflowRun, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return run.workflow_run_id
            if col == 1:
                return run.workflow_title or run.workflow_permanent_id
            if col == 2:
                return status_label(str(run.status))
            if col == 3:
                trigger = str(run.trigger_type or "")
                return "⏰ Schedule" if trigger == TriggerType.SCHEDULED else trigger.capitalize()
            if col == 4:
                return relative_time(run.created_at)
            return duration_text(run.started_at or run.created_at, run.finished_at)
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return status_color(str(run.status))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 4:
                return exact_time(run.created_at)
            if col == 2 and run.failure_reason:
                return run.failure_reason
        if role == RUN_ID_ROLE:
            return run.workflow_run_id
        if role == WPID_ROLE:
            return run.workflow_permanent_id
        return None


"""The "Waiting for me" filter: runs a human-interaction block paused until someone answers."""


class RunHistory(QWidget):
    open_requested = Signal(str, str)  # run_id, workflow_permanent_id
    query_wanted = Signal(object)  # HistoryQuery: the runs to show now
    compare_requested = Signal(str, str)  # the older run, the newer one

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runHistory")
        self._selected: tuple[str, str] | None = None
        self.page = 1
        self.model = RunHistoryModel(self)

        self.scope = QComboBox()
        self.scope.setObjectName("historyScope")
        self.scope.addItem("All workflows", None)
        self._schedule_scope: tuple[str, str, str] | None = None  # wpid, schedule id, label
        self.scope.currentIndexChanged.connect(lambda *_: self.reload(reset_page=True))
        self.status = QComboBox()
        self.status.setObjectName("historyStatus")
        self.status.addItem("Any status", None)
        self.status.addItem("Waiting for me", WAITING)
        self.status.setItemData(
            1, "Runs that wait for a person to approve or reject", Qt.ItemDataRole.ToolTipRole
        )
        for status in RunStatus:
            if status.value != WAITING:
                self.status.addItem(status_label(status.value), status.value)
        self.status.currentIndexChanged.connect(lambda *_: self.reload(reset_page=True))
        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search runs by id or input value")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self.reload(reset_page=True))
        self.prev_button = QPushButton("‹ Newer")
        self.prev_button.setObjectName("historyPrev")
        self.prev_button.clicked.connect(lambda: self._go(-1))
        self.next_button = QPushButton("Older ›")
        self.next_button.setObjectName("historyNext")
        self.next_button.clicked.connect(lambda: self._go(1))
        self.page_label = QLabel()
        self.page_label.setObjectName("historyPage")
        self.message = QLabel()
        self.message.setObjectName("historyMessage")
        self.message.setStyleSheet("color: #cf222e;")
        bar = QHBoxLayout()
        bar.addWidget(self.scope)
        bar.addWidget(self.status)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("historyCompare")
        self.compare_button.setToolTip("Select two runs of one workflow to see them side by side")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._compare)
        bar.addWidget(self.compare_button)

        self.table = QTableView()
        self.table.setObjectName("historyTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((200, 220, 100, 110, 110)):
            self.table.horizontalHeader().resizeSection(col, width)
        self.table.doubleClicked.connect(self._open)
        # An empty list says why, and how to fill it.
        self.panel = StatePanel(self.table, "history")
        self.panel.action_clicked.connect(self.clear_filters)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)
        self.message.hide()

        self._timer = QTimer(self)
        self._timer.setInterval(ACTIVE_REFRESH_MS)
        self._timer.timeout.connect(self._tick)

    def set_selected_workflow(self, wpid: str | None, title: str | None) -> None:
        current = self.scope.currentData()
        self.scope.blockSignals(True)
        while self.scope.count() > 1:
            self.scope.removeItem(1)
        if wpid:
            self.scope.addItem(f"Only “{title or wpid}”", wpid)
        if self._schedule_scope is not None:
            swpid, sid, label = self._schedule_scope
            self.scope.addItem(f"Only schedule “{label}”", f"schedule:{swpid}:{sid}")
        index = self.scope.findData(current)
        self.scope.setCurrentIndex(max(index, 0))
        self.scope.blockSignals(False)
        if index < 0 and current is not None:
            self.reload(reset_page=True)

    def show_schedule(self, wpid: str, schedule_id: str, label: str) -> None:
        """Show only the runs one schedule started."""
        self._schedule_scope = (wpid, schedule_id, label)
        key = f"schedule:{wpid}:{schedule_id}"
        for index in range(self.scope.count() - 1, 0, -1):
            if str(self.scope.itemData(index) or "").startswith("schedule:"):
                self.scope.removeItem(index)
        self.scope.addItem(f"Only schedule “{label}”", key)
        self.scope.setCurrentIndex(self.scope.findData(key))  # reloads

    def show_waiting(self) -> None:
        """Every run that waits for a person: any workflow, no search, "Waiting for me"."""
        for box, index in ((self.scope, 0), (self.status, self.status.findData(WAITING))):
            box.blockSignals(True)
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self.search.clear()
        self.reload(reset_page=True)

    def reload(self, reset_page: bool = False) -> None:
        """Ask for the runs the filters name again (its owner answers with ``show_page``)."""
        if reset_page:
            self.page = 1
        self.query_wanted.emit(self.query())

    def query(self) -> HistoryQuery:
        """The runs the filters and the page name."""
        scope = str(self.scope.currentData() or "")
        wpid, schedule_id = scope or None, None
        if scope.startswith("schedule:"):
            _, wpid, schedule_id = scope.split(":", 2)
        return HistoryQuery(
            workflow_permanent_id=wpid, schedule_id=schedule_id,
            status=self.status.currentData(), search=self.search.text().strip() or None,
            page=self.page,
        )  # fmt: skip

    def _go(self, step: int) -> None:
        self.page = max(1, self.page + step)
        self.reload()

    def _tick(self) -> None:
        if self.isVisible():
            self.reload()

    def show_failure(self, message: str) -> None:
        self.message.setText(f"Could not load the runs: {message}")
        self.message.show()

    def show_page(self, page: HistoryPage) -> None:
        """The runs its owner found for ``page.query`` (a page for an older query, one the
        filters have moved on from, is not shown)."""
        query = page.query
        if query != self.query():
            return
        runs = page.runs
        if page.capped:
            self.message.setText(
                f"Runs of this schedule are looked for among the workflow's latest"
                f" {SCAN_LIMIT:,} runs (the server cannot filter by schedule)."
            )
            self.message.show()
        else:
            self.message.hide()
        self.model.set_runs(runs)
        self._selection_changed()
        if (
            query.status == WAITING
            and not runs
            and query.page == 1
            and not (query.workflow_permanent_id or query.search)
        ):
            self.panel.show_empty(
                "Nothing waits for you",
                "Runs that pause for a person to approve or reject are listed here. The app"
                " tells you when one starts to wait.",
                "Show all runs",
            )
        else:
            self._show_state(runs, filtered=query.filtered)
        self.page_label.setText(f"Page {query.page}")
        self.prev_button.setEnabled(query.page > 1)
        self.next_button.setEnabled(page.more)
        # While any run on screen is still going, or the list is of the runs waiting for
        # a person (a new one may start to wait), it keeps itself up to date.
        if page.keeps_going:
            self._timer.start()
        else:
            self._timer.stop()

    def _show_state(self, runs: list[WorkflowRun], *, filtered: bool) -> None:
        if runs:
            self.panel.show_content()
        elif self.page > 1:
            self.panel.show_empty("No older runs", "This is the end of the list.")
        elif filtered:
            self.panel.show_empty(
                "No runs match", "No run matches the workflow, status or search chosen above.",
                "Show all runs",
            )  # fmt: skip
        else:
            self.panel.show_empty(
                "No runs yet",
                "Runs appear here once they start: press Run… on the Workflows screen, or"
                " Run now on a schedule. Runs started elsewhere show up too.",
            )

    def clear_filters(self) -> None:
        """Back to every run of every workflow, any status, no search."""
        for box in (self.scope, self.status):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.search.clear()
        self.reload(reset_page=True)

    def selected_runs(self) -> list[WorkflowRun]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r] for r in rows if r < len(self.model.runs)]

    def _selection_changed(self) -> None:
        self.compare_button.setEnabled(len(self.selected_runs()) == 2)

    def _compare(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 2:
            older, newer = sorted(runs, key=lambda r: r.created_at)
            self.compare_requested.emit(older.workflow_run_id, newer.workflow_run_id)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_requested.emit(str(index.data(RUN_ID_ROLE)), str(index.data(WPID_ROLE)))
