"""The run history: workflow runs of every workflow, of the selected one or of several,
filtered (status, search, dates, failure category, who started them) and paged; for one
workflow, with the input columns the person chose; exported with inputs and outputs.

A passive view: it says which runs it wants to show (``query_wanted(HistoryQuery)``, when
a filter or the page changes, or every few seconds while a run on it is still going),
which input columns it wants (``columns_chosen``), and where to export
(``export_requested``); it shows what its owner (``history_feed.RunHistoryFeed``) gives it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...api.enums import RunStatus
from ...core.runs.failure import CATEGORIES, category_words
from ...core.runs.history import (
    STARTED_BY_LABELS,
    WAITING,
    HistoryPage,
    HistoryQuery,
    Origins,
    StartedBy,
    started_by,
)
from ...core.schedules.rules import SCAN_LIMIT
from ..dialogs import ask_save_path
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
    headers: tuple[str, ...] = _HEADERS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.origins = Origins()
        self.input_keys: list[tuple[str, str]] = []  # (key, title) of the input columns
        self.inputs: dict[str, dict[str, str]] = {}  # run id -> key -> value shown

    @property
    def runs(self) -> list[WorkflowRun]:
        return self.items

    def set_runs(self, runs: list[WorkflowRun], origins: Origins | None = None) -> None:
        if origins is not None:
            self.origins = origins
        self.set_items(runs)

    def set_input_columns(self, keys: list[tuple[str, str]]) -> None:
        if list(keys) == self.input_keys:
            return  # a reset would lose the selection for nothing
        self.beginResetModel()
        self.input_keys = list(keys)
        self.headers = (*_HEADERS, *(title for _key, title in keys))
        self.endResetModel()

    def set_inputs(self, inputs: dict[str, dict[str, str]]) -> None:
        self.inputs.update(inputs)
        if self.items and self.input_keys:
            self.dataChanged.emit(
                self.index(0, len(_HEADERS)),
                self.index(len(self.items) - 1, len(self.headers) - 1),
            )

    def cell(self, run: WorkflowRun, col: int, role: int) -> Any:
        if col >= len(_HEADERS):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                key = self.input_keys[col - len(_HEADERS)][0]
                values = self.inputs.get(run.workflow_run_id)
                if values is None:
                    return "…" if role == Qt.ItemDataRole.DisplayRole else "Reading the inputs…"
                return values.get(key, "")
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return run.workflow_run_id
            if col == 1:
                return run.workflow_title or run.workflow_permanent_id
            if col == 2:
                return status_label(str(run.status))
            if col == 3:
                who = started_by(run, self.origins)
                return "⏰ Schedule" if who is StartedBy.SCHEDULE else STARTED_BY_LABELS[who]
            if col == 4:
                return relative_time(run.created_at)
            return duration_text(run.started_at or run.created_at, run.finished_at)
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return status_color(str(run.status))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 4:
                return exact_time(run.created_at)
            if col == 2 and run.failure_reason:
                category = run.categories[0] if run.categories else None
                words = f" ({category_words(category)})" if category else ""
                return run.failure_reason + words
            if col == 3 and run.trigger_type:
                return f"Trigger: {run.trigger_type}"
        if role == RUN_ID_ROLE:
            return run.workflow_run_id
        if role == WPID_ROLE:
            return run.workflow_permanent_id
        return None


"""The "Waiting for me" filter: runs a human-interaction block paused until someone answers."""


class RunHistory(QWidget):
    open_requested = Signal(str, str)  # run_id, workflow_permanent_id
    columns_chosen = Signal(str, object)  # workflow_permanent_id, list of input keys
    export_requested = Signal(str)  # the file to write the rows shown to (CSV or XLSX)
    query_wanted = Signal(object)  # HistoryQuery: the runs to show now
    compare_requested = Signal(str, str)  # the older run, the newer one
    shown_changed = Signal(bool)  # on screen or not: its owner keeps its runs fresh meanwhile

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
        self.index_note = QLabel()
        self.index_note.setObjectName("historyIndexNote")
        self.index_note.setStyleSheet("color: palette(placeholder-text);")
        self.workflows_menu = QMenu(self)
        self.workflows_menu.setObjectName("historyWorkflowsMenu")
        self.workflows_button = QToolButton()
        self.workflows_button.setObjectName("historyWorkflows")
        self.workflows_button.setText("More workflows")
        self.workflows_button.setToolTip("Show the runs of several workflows at once")
        self.workflows_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.workflows_button.setMenu(self.workflows_menu)
        self._workflow_actions: dict[str, QAction] = {}
        self.dates = QCheckBox("Created between")
        self.dates.setObjectName("historyDates")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-7))
        self.date_from.setObjectName("historyFrom")
        self.date_to = QDateEdit(today)
        self.date_to.setObjectName("historyTo")
        for edit in (self.date_from, self.date_to):
            edit.setDisplayFormat("d MMM yyyy")
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self._dates_changed())
        self.dates.toggled.connect(self._dates_toggled)
        self.and_label = QLabel("and")
        self.category = QComboBox()
        self.category.setObjectName("historyCategory")
        self.category.addItem("Any failure category", None)
        for name in CATEGORIES:
            self.category.addItem(category_words(name).capitalize(), name)
        self.category.currentIndexChanged.connect(lambda *_: self.reload(reset_page=True))
        self.who = QComboBox()
        self.who.setObjectName("historyStartedBy")
        self.who.addItem("Started by anyone", None)
        for who, label in STARTED_BY_LABELS.items():
            self.who.addItem(f"Started by: {label[0].lower() + label[1:]}", who)
        self.who.currentIndexChanged.connect(lambda *_: self.reload(reset_page=True))
        # Long item texts do not widen the window: the boxes show about 20 characters and
        # their lists open as wide as they need.
        for box in (self.category, self.who):
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(18)
            box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)
        self.columns_menu = QMenu(self)
        self.columns_menu.setObjectName("historyColumnsMenu")
        self.columns_button = QToolButton()
        self.columns_button.setObjectName("historyColumns")
        self.columns_button.setText("Input columns")
        self.columns_button.setToolTip("Show chosen inputs as columns (for one workflow's runs)")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_button.setMenu(self.columns_menu)
        self.columns_button.setEnabled(False)
        self._columns_for: str | None = None
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("historyExport")
        self.export_button.setToolTip("Save the runs shown, with their inputs and outputs")
        self.export_button.clicked.connect(self._ask_export)
        bar = QHBoxLayout()
        bar.addWidget(self.scope)
        bar.addWidget(self.workflows_button)
        bar.addWidget(self.status)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.page_label)
        bar.addWidget(self.next_button)
        second = QHBoxLayout()
        second.addWidget(self.dates)
        second.addWidget(self.date_from)
        second.addWidget(self.and_label)
        second.addWidget(self.date_to)
        second.addWidget(self.category)
        second.addWidget(self.who)
        second.addStretch(1)
        second.addWidget(self.columns_button)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("historyCompare")
        self.compare_button.setToolTip("Select two runs of one workflow to see them side by side")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._compare)
        second.addWidget(self.compare_button)
        second.addWidget(self.export_button)

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
        for col, width in enumerate((200, 220, 100, 150, 110)):
            self.table.horizontalHeader().resizeSection(col, width)
        self.table.doubleClicked.connect(self._open)
        # An empty list says why, and how to fill it.
        self.panel = StatePanel(self.table, "history")
        self.panel.action_clicked.connect(self.clear_filters)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(second)
        layout.addWidget(self.message)
        layout.addWidget(self.index_note)
        layout.addWidget(self.panel, 1)
        self.message.hide()
        self.index_note.hide()

        self._timer = QTimer(self)
        self._timer.setInterval(ACTIVE_REFRESH_MS)
        self._timer.timeout.connect(self._tick)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.shown_changed.emit(False)

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
        after = before = None
        if self.dates.isChecked():
            # The days are the person's own: from midnight, local time.
            days = [date(d.year(), d.month(), d.day()) for d in (self.date_from.date(),
                                                               self.date_to.date())]  # fmt: skip
            first, last = sorted(days)
            after = datetime.combine(first, time()).astimezone(UTC)
            before = datetime.combine(last + timedelta(days=1), time()).astimezone(UTC)
        return HistoryQuery(
            workflow_permanent_id=wpid, schedule_id=schedule_id,
            status=self.status.currentData(), search=self.search.text().strip() or None,
            page=self.page, workflows=self.chosen_workflows(), created_after=after,
            created_before=before, category=self.category.currentData(),
            started_by=StartedBy(self.who.currentData()) if self.who.currentData() else None,
        )  # fmt: skip

    # ------------------------------------------------------------------ more filters

    def set_workflow_choices(self, choices: list[tuple[str, str]]) -> None:
        """The workflows "More workflows" offers, ``(wpid, title)``; the choice is kept."""
        chosen = set(self.chosen_workflows())
        self.workflows_menu.clear()
        self._workflow_actions = {}
        for wpid, title in choices:
            action = self.workflows_menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(wpid in chosen)
            action.toggled.connect(lambda _on: self._workflows_changed())
            self._workflow_actions[wpid] = action
        self._say_workflows()

    def chosen_workflows(self) -> tuple[str, ...]:
        return tuple(w for w, a in self._workflow_actions.items() if a.isChecked())

    def choose_workflows(self, wpids: list[str]) -> None:
        for wpid, action in self._workflow_actions.items():
            action.blockSignals(True)
            action.setChecked(wpid in wpids)
            action.blockSignals(False)
        self._workflows_changed()

    def _workflows_changed(self) -> None:
        self._say_workflows()
        self.reload(reset_page=True)

    def _say_workflows(self) -> None:
        n = len(self.chosen_workflows())
        self.workflows_button.setText(f"Workflows: {n} chosen" if n else "More workflows")

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.reload(reset_page=True)

    def _dates_changed(self) -> None:
        if self.dates.isChecked():
            self.reload(reset_page=True)

    def set_date_range(self, first: QDate, last: QDate) -> None:
        for edit, day in ((self.date_from, first), (self.date_to, last)):
            edit.blockSignals(True)
            edit.setDate(day)
            edit.blockSignals(False)
        if self.dates.isChecked():
            self.reload(reset_page=True)
        else:
            self.dates.setChecked(True)

    # ------------------------------------------------------------------ input columns

    def set_input_choices(
        self, wpid: str | None, choices: list[tuple[str, str]], chosen: list[str]
    ) -> None:
        """The inputs of the one workflow shown (none: the runs of several), and those the
        person chose to see as columns."""
        self._columns_for = wpid
        self.columns_menu.clear()
        for key, title in choices:
            action = self.columns_menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(key in chosen)
            action.setData(key)
            action.toggled.connect(lambda _on: self._columns_toggled())
        self.columns_button.setEnabled(bool(wpid and choices))
        titles = dict(choices)
        self.model.set_input_columns([(k, titles.get(k, k)) for k in chosen if k in titles])

    def _columns_toggled(self) -> None:
        keys = [str(a.data()) for a in self.columns_menu.actions() if a.isChecked()]
        if self._columns_for:
            self.columns_chosen.emit(self._columns_for, keys)

    def show_inputs(self, inputs: dict[str, dict[str, str]]) -> None:
        """Runs' input values (run id → key → value), for the input columns."""
        self.model.set_inputs(inputs)

    # ------------------------------------------------------------------ export

    def _ask_export(self) -> None:
        ask_save_path(
            self, "Export runs", "runs.xlsx", self.export_requested.emit,
            filters=["Excel workbook (*.xlsx)", "CSV file (*.csv)"],
        )  # fmt: skip

    def _go(self, step: int) -> None:
        self.page = max(1, self.page + step)
        self.reload()

    def _tick(self) -> None:
        if self.isVisible():
            self.reload()

    def show_index_progress(self, held: int, complete: bool) -> None:
        """The first reading of the server's whole history, from the newest run down: how
        far it got (the filters the server lacks look among every run once it is done)."""
        if complete:
            self.index_note.hide()
            return
        self.index_note.setText(
            f"Reading the run history from the server, newest first: {held:,} runs so far."
            " Until it is done, some filters look among the latest runs only."
        )
        self.index_note.show()

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
                if query.schedule_id
                else f"Matching runs are looked for among the latest {SCAN_LIMIT:,} runs of"
                " each workflow (the server cannot filter by failure category, by who started"
                " a run, or by date across workflows)."
            )
            self.message.show()
        else:
            self.message.hide()
        chosen = {r.workflow_run_id for r in self.selected_runs()}
        self.model.set_runs(runs, page.origins)
        self._reselect(chosen)
        self._selection_changed()
        self.export_button.setEnabled(bool(runs))
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
        """Back to every run of every workflow, any status, no search, any date."""
        for box in (self.scope, self.status, self.category, self.who):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        for action in self._workflow_actions.values():
            action.blockSignals(True)
            action.setChecked(False)
            action.blockSignals(False)
        self._say_workflows()
        self.dates.blockSignals(True)
        self.dates.setChecked(False)
        self.dates.blockSignals(False)
        self.date_from.setEnabled(False)
        self.date_to.setEnabled(False)
        self.search.clear()
        self.reload(reset_page=True)

    def selected_runs(self) -> list[WorkflowRun]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r] for r in rows if r < len(self.model.runs)]

    def _reselect(self, run_ids: set[str]) -> None:
        """The runs that were selected stay selected when the list is read again (every
        5 s while a run on it goes on), so a choice for Compare is not lost."""
        if not run_ids:
            return
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, run in enumerate(self.model.runs):
            if run.workflow_run_id in run_ids:
                selection.select(self.model.index(row, 0), flags)

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
