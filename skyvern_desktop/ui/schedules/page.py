"""The Schedules screen: every schedule of the organisation, filtered and paged, with the
actions on the selected one.

A passive screen: it says which schedules it wants to list (``query_wanted``) and what the
person asked of the selected one (pause or resume, delete, edit, duplicate, Run now, Runs
of this schedule); its owner (``listing.SchedulesListing``, of the schedules owner) asks
the server and gives it the list and what went wrong.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ...api.enums import ScheduleStatusFilter
from ...core.schedules.rules import schedule_title
from ..changes import Change, ChangeKind
from ..widgets.labels import ERROR_STYLE
from ..widgets.schedules_model import Column, SchedulesModel
from ..widgets.state_panel import StatePanel
from .query import PAGE_SIZE, ScheduleQuery

if TYPE_CHECKING:
    from ...api.models.schedules import ScheduleFields, SchedulePage

log = logging.getLogger(__name__)


SEARCH_DELAY_MS = 400
REFRESH_MS = 60_000
COLUMNS = (
    Column.WORKFLOW,
    Column.NAME,
    Column.WHEN,
    Column.TIMEZONE,
    Column.NEXT,
    Column.ENABLED,
)


class SchedulesPage(QWidget):
    new_requested = Signal()
    edit_requested = Signal(str, str)  # workflow_permanent_id, schedule_id
    duplicate_requested = Signal(str, str)
    run_now_requested = Signal(str, str)
    runs_requested = Signal(str, str, str)  # workflow_permanent_id, schedule_id, label
    query_wanted = Signal(object)  # ScheduleQuery: the schedules to list now
    toggle_requested = Signal(object, bool)  # ScheduleFields, enabled
    delete_requested = Signal(object)  # ScheduleFields

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schedulesPage")
        self.connected = False
        self.page = 1
        self.total = 0
        self.last_error: str | None = None
        self.model = SchedulesModel(COLUMNS, self)
        self.model.toggle_requested.connect(self.toggle_requested)

        self.new_button = QPushButton("New schedule…")
        self.new_button.setObjectName("schedulesNew")
        self.new_button.clicked.connect(self.new_requested)
        self.status = QComboBox()
        self.status.setObjectName("schedulesStatus")
        self.status.setAccessibleName("Show schedules that are")
        self.status.addItem("Active and paused", None)
        self.status.addItem("Active", ScheduleStatusFilter.ACTIVE.value)
        self.status.addItem("Paused", ScheduleStatusFilter.PAUSED.value)
        self.status.currentIndexChanged.connect(lambda *_: self.reload(reset_page=True))
        self.search = QLineEdit()
        self.search.setObjectName("schedulesSearch")
        self.search.setPlaceholderText("Search by workflow or schedule name")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(120)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.reload(reset_page=True))
        self.search.textChanged.connect(lambda *_: self._search_timer.start())
        self.search.returnPressed.connect(lambda: self.reload(reset_page=True))
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("schedulesRefresh")
        self.refresh_button.clicked.connect(lambda: self.reload())
        self.prev_button = QPushButton("‹ Newer")
        self.prev_button.setObjectName("schedulesPrev")
        self.prev_button.clicked.connect(lambda: self._go(-1))
        self.next_button = QPushButton("Older ›")
        self.next_button.setObjectName("schedulesNext")
        self.next_button.clicked.connect(lambda: self._go(1))
        self.page_label = QLabel()
        self.page_label.setObjectName("schedulesPageLabel")
        bar = QHBoxLayout()
        bar.addWidget(self.new_button)
        bar.addWidget(self.status)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.refresh_button)

        self.table = QTableView()
        self.table.setObjectName("schedulesTable")
        self.table.setAccessibleName("Schedules")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((200, 190, 260, 140, 140)):
            header.resizeSection(col, width)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(lambda *_: self._update_actions())

        self.panel = StatePanel(self.table, "schedules")
        self.panel.action_clicked.connect(self._on_panel_action)
        self.message = QLabel()
        self.message.setObjectName("schedulesMessage")
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()

        self.schedule_actions: dict[str, QAction] = {}
        # A toolbar, not a row of buttons: on a narrow window the last ones move into its
        # overflow menu instead of forcing the window wider.
        action_bar = QToolBar("Schedule actions")
        action_bar.setObjectName("schedulesActions")
        action_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key, text, shortcut, slot in (
            ("edit", "Edit…", "Return", self._edit),
            ("duplicate", "Duplicate…", "Ctrl+D", self._duplicate),
            ("toggle", "Pause", "Ctrl+P", self._toggle),
            ("run_now", "Run now", "Ctrl+Shift+R", self._run_now),
            ("runs", "Runs of this schedule", "", self._runs),
            ("delete", "Delete…", "Delete", self._delete),
        ):
            action = QAction(text, self)
            action.setObjectName(f"schedulesAction_{key}")
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                action.setToolTip(f"{text.rstrip('…')} ({shortcut})")
            action.triggered.connect(slot)
            self.table.addAction(action)
            self.schedule_actions[key] = action
            action_bar.addAction(action)
            button = action_bar.widgetForAction(action)
            if button is not None:
                button.setObjectName(f"schedules_{key}")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(action_bar, 1)
        bottom.addWidget(self.prev_button)
        bottom.addWidget(self.page_label)
        bottom.addWidget(self.next_button)
        layout.addLayout(bottom)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._tick)
        self._refresh_timer.start()
        self._update_actions()
        self.set_connected(False)

    # ------------------------------------------------------------------ what the owner says

    def set_connected(self, connected: bool) -> None:
        """Another server (or none): the list empties, and loads again if there is one."""
        self.connected = connected
        self.model.set_items([])
        self.last_error = None
        if not connected:
            self.panel.show_empty(
                "Not connected", "Connect to a Skyvern server to see its schedules.", None
            )
            self.new_button.setEnabled(False)
            return
        self.new_button.setEnabled(True)
        self.reload(reset_page=True)

    def query(self) -> ScheduleQuery:
        return ScheduleQuery(
            self.status.currentData(), self.search.text().strip() or None, self.page, PAGE_SIZE
        )

    def show_loading(self) -> None:
        if self.model.rowCount() == 0:
            self.panel.show_loading("Loading schedules…")

    def show_failure(self, message: str, *, turned_off: bool = False) -> None:
        """The list could not be loaded: why, where the list was."""
        self.last_error = message
        if turned_off:
            self.panel.show_empty(
                "Schedules are turned off on this server",
                "This Skyvern server was started with ENABLE_WORKFLOW_SCHEDULES=false.",
                None,
            )
        elif self.model.rowCount() == 0:
            self.panel.show_error("Could not load the schedules", message)
        else:
            self.message.setText(f"Could not refresh the schedules: {message}")
            self.message.show()

    def show_problem(self, message: str | None) -> None:
        """What went wrong with an action (pause, resume, delete), or nothing."""
        self.message.setText(message or "")
        self.message.setVisible(bool(message))
        self._update_actions()

    def _on_panel_action(self) -> None:
        """The button of the empty or error state: what it does depends on the state."""
        if self.last_error is not None:
            self.reload()
        elif self._filtered():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.status.setCurrentIndex(0)  # reloads
            self.reload(reset_page=True)
        else:
            self.new_requested.emit()

    def _tick(self) -> None:
        if self.isVisible() and self.connected:
            self.reload()
        else:
            self.model.refresh_next_runs()

    def _filtered(self) -> bool:
        return bool(self.status.currentData() or self.search.text().strip())

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.reload()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("schedules/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("schedules/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def on_change(self, change: Change) -> None:
        """A schedule was saved, switched or deleted anywhere: the list follows."""
        if change.kind is ChangeKind.SCHEDULES:
            self.reload()

    def reload(self, reset_page: bool = False) -> None:
        """Ask for the schedules the filter and the page name (the owner answers)."""
        if reset_page:
            self.page = 1
        if self.connected:
            self.query_wanted.emit(self.query())

    def _go(self, step: int) -> None:
        self.page = max(1, self.page + step)
        self.reload()

    def show_list(self, query: ScheduleQuery, result: SchedulePage) -> None:
        """A page of schedules for ``query`` (one for filters since changed is not shown)."""
        if query != self.query():
            return
        self.last_error = None
        self.message.hide()
        if not result.schedules and self.page > 1 and result.total_count:
            self.page = max(1, -(-result.total_count // PAGE_SIZE))  # the last page shrank
            self.reload()
            return
        self.total = result.total_count
        selected = self.selected()  # after the wait: what the user picks meanwhile counts
        keep = selected.workflow_schedule_id if selected else None
        self.model.set_items(list(result.schedules))
        first = (self.page - 1) * PAGE_SIZE + 1
        last = first + len(result.schedules) - 1
        self.page_label.setText(f"{first}–{last} of {self.total}" if self.total else "")
        self.prev_button.setEnabled(self.page > 1)
        self.next_button.setEnabled(self.page * PAGE_SIZE < self.total)
        if result.schedules:
            self.panel.show_content()
            row = self.model.row_of(keep) if keep else None
            self.table.selectRow(row if row is not None else 0)
        elif self._filtered():
            self.panel.show_empty(
                "No schedules match", "Nothing matches this filter.", "Show all schedules"
            )
        else:
            self.panel.show_empty(
                "No schedules yet",
                "A schedule runs a workflow on its own — every weekday at 9:00, every hour, on"
                " the first of the month — with the inputs you choose.",
                "New schedule…",
            )
        self._update_actions()

    # ------------------------------------------------------------------ selection

    def selected(self) -> ScheduleFields | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.schedule_at(rows[0].row()) if rows else None

    def select(self, schedule_id: str) -> bool:
        row = self.model.row_of(schedule_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _update_actions(self) -> None:
        schedule = self.selected()
        for action in self.schedule_actions.values():
            action.setEnabled(schedule is not None)
        toggle = self.schedule_actions["toggle"]
        duplicate = self.schedule_actions["duplicate"]
        if schedule is not None and schedule.is_one_time:
            duplicate.setEnabled(False)  # its one instant has passed or is taken
            duplicate.setToolTip("A one-time schedule cannot be duplicated.")
        else:
            duplicate.setToolTip("Duplicate (Ctrl+D)")
        if schedule is not None:
            toggle.setText("Pause" if schedule.enabled else "Resume")
            toggle.setEnabled(
                schedule.can_pause and schedule.workflow_schedule_id not in self.model.pending
            )

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = QMenu(self)
        for key in ("edit", "duplicate", "toggle", "run_now", "runs"):
            menu.addAction(self.schedule_actions[key])
        menu.addSeparator()
        menu.addAction(self.schedule_actions["delete"])
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.isValid() and COLUMNS[index.column()] is not Column.ENABLED:
            self._edit()

    # ------------------------------------------------------------------ actions

    def _edit(self) -> None:
        if schedule := self.selected():
            self.edit_requested.emit(schedule.workflow_permanent_id, schedule.workflow_schedule_id)

    def _duplicate(self) -> None:
        if schedule := self.selected():
            self.duplicate_requested.emit(
                schedule.workflow_permanent_id, schedule.workflow_schedule_id
            )

    def _run_now(self) -> None:
        if schedule := self.selected():
            self.run_now_requested.emit(
                schedule.workflow_permanent_id, schedule.workflow_schedule_id
            )

    def _runs(self) -> None:
        if schedule := self.selected():
            self.runs_requested.emit(
                schedule.workflow_permanent_id,
                schedule.workflow_schedule_id,
                schedule_title(schedule),
            )

    def _toggle(self) -> None:
        schedule = self.selected()
        if schedule is None or schedule.workflow_schedule_id in self.model.pending:
            return
        self.model.set_pending(schedule.workflow_schedule_id, True)  # as the switch does
        self._update_actions()
        self.toggle_requested.emit(schedule, not schedule.enabled)

    def _delete(self) -> None:
        if schedule := self.selected():
            self.delete_requested.emit(schedule)
