"""The Runs screen: the run history above, and a tab per watched run below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..changes import Change, ChangeKind
from ..tasks import TaskRunner
from ..widgets.state_panel import StatePanel
from .history import RunHistory
from .pane import PaneWaiting, RunPane

if TYPE_CHECKING:
    from .tracker import RunTracker


_ICONS: dict[str, QIcon] = {}
LIVE_COLOR = "#cf222e"
WAITING_COLOR = "#bf8700"


def dot_icon(color: str) -> QIcon:
    """A small filled dot: red on the tab of a run streaming now, amber on one waiting
    for a person."""
    if color not in _ICONS:
        pixmap = QPixmap(16, 16)
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(color))
        painter.setPen(QColor("#ffffff"))
        painter.drawEllipse(3, 3, 10, 10)
        painter.end()
        _ICONS[color] = QIcon(pixmap)
    return _ICONS[color]


def live_icon() -> QIcon:
    return dot_icon(LIVE_COLOR)


class RunsPage(QWidget):
    pane_opened = Signal(str)  # run_id
    pane_closed = Signal(str)  # run_id
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    open_requested = Signal(str, str)  # run_id, workflow_permanent_id (from the history)
    waiting_changed = Signal(object)  # PaneWaiting (from a pane)
    code_requested = Signal(str, str)  # run_id, totp_identifier
    compare_requested = Signal(str, str)  # run A, run B (from the history)
    retry_started = Signal(object)  # RunResponse: a pane's Retry started it
    compare_last_requested = Signal(str)  # run_id: with its workflow's last completed run

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsPage")
        self._tasks = tasks
        self.history = RunHistory()  # fed by the runs owner (history_feed)
        self.history.open_requested.connect(self.open_requested)
        self.history.compare_requested.connect(self.compare_requested)
        self.panes: dict[str, RunPane] = {}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("runPanes")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.panel = StatePanel(self.tabs, "runs")
        self._show_empty()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("runsSplitter")
        self.splitter.addWidget(self.history)
        self.splitter.addWidget(self.panel)
        # The panes get most of the height: a run's live picture needs it.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([190, 550])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addWidget(self.splitter)

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.reload_history()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("runs/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        splitter = settings.value("runs/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def on_change(self, change: Change) -> None:
        """A run started or ended: the history on show lists it."""
        if change.kind in (ChangeKind.RUN_STARTED, ChangeKind.RUN_ENDED) and self.isVisible():
            self.reload_history()

    def set_selected_workflow(self, wpid: str | None, title: str | None) -> None:
        """The workflow selected on the Workflows screen: the history can show only it."""
        self.history.set_selected_workflow(wpid, title)

    def show_schedule(self, wpid: str, schedule_id: str, label: str) -> None:
        """Show only the runs one schedule started."""
        self.history.show_schedule(wpid, schedule_id, label)

    def reload_history(self) -> None:
        self.history.reload()

    def _show_empty(self) -> None:
        self.panel.show_empty(
            "No runs open",
            "Start a run from the Workflows screen, or double-click one above: it opens here "
            "and is watched live until it ends. Open runs come back after a restart.",
        )

    def open_run(
        self, tracker: RunTracker, *, read_local_files: bool = False, focus: bool = True
    ) -> RunPane:
        """A pane for the run ``tracker`` (owned by the runs owner) watches, or the one
        already open for it."""
        run_id, title = tracker.run_id, tracker.title
        pane = self.panes.get(run_id)
        if pane is None:
            pane = RunPane(tracker, self._tasks, read_local_files=read_local_files)
            tracker.title_known.connect(lambda text, r=run_id: self.set_title(r, text))
            # A retried run is one this app started: its owner opens it as it opens every
            # run it starts (recorded, so its pane comes back after a restart).
            pane.retry_started.connect(self.retry_started)
            pane.rerun_requested.connect(self.rerun_requested)
            pane.live_changed.connect(lambda _live, p=pane: self._mark(p))
            pane.waiting_changed.connect(self._on_waiting)
            pane.code_requested.connect(self.code_requested)
            pane.compare_requested.connect(self.compare_last_requested)
            self.panes[run_id] = pane
            self.tabs.addTab(pane, title or run_id)
            self.tabs.setTabToolTip(self.tabs.indexOf(pane), run_id)
            self.pane_opened.emit(run_id)
        self.panel.show_content()
        if focus:
            self.tabs.setCurrentWidget(pane)
        return pane

    def _on_waiting(self, report: PaneWaiting) -> None:
        pane = self.panes.get(report.run_id)
        if pane is not None:
            self._mark(pane)
        self.waiting_changed.emit(report)

    def _mark(self, pane: RunPane) -> None:
        """The tab of a run waiting for a person gets an amber dot; of a run whose browser
        is streaming now, a red one."""
        index = self.tabs.indexOf(pane)
        if index < 0:
            return
        if pane.waiting:
            icon, tip = dot_icon(WAITING_COLOR), f"{pane.run_id} · waiting for you"
        elif pane.follower.live:
            icon, tip = live_icon(), f"{pane.run_id} · live"
        else:
            icon, tip = QIcon(), pane.run_id
        self.tabs.setTabIcon(index, icon)
        self.tabs.setTabToolTip(index, tip)

    def show_waiting(self) -> None:
        """The history shows the runs that wait for a person."""
        self.history.show_waiting()

    def live_runs(self) -> list[str]:
        return [run_id for run_id, pane in self.panes.items() if pane.follower.live]

    def set_title(self, run_id: str, title: str) -> None:
        pane = self.panes.get(run_id)
        if pane is not None:
            pane.set_title(title)
            self.tabs.setTabText(self.tabs.indexOf(pane), title)

    def _close_tab(self, index: int) -> None:
        pane = self.tabs.widget(index)
        if isinstance(pane, RunPane):
            self.close_run(pane.run_id)

    def close_run(self, run_id: str) -> None:
        pane = self.panes.pop(run_id, None)
        if pane is None:
            return
        pane.stop()  # a closed pane makes no more requests
        self.tabs.removeTab(self.tabs.indexOf(pane))
        pane.deleteLater()
        self.pane_closed.emit(run_id)
        if not self.panes:
            self._show_empty()

    def close_all(self) -> None:
        """Close every pane without forgetting it (the connection changed or the app quits)."""
        for run_id, pane in list(self.panes.items()):
            pane.stop()
            self.tabs.removeTab(self.tabs.indexOf(pane))
            pane.deleteLater()
            del self.panes[run_id]
        self._show_empty()
