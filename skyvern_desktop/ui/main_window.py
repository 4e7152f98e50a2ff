"""The main window: navigation between the screens, menus, and the connection status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import APP_NAME, __version__
from .connection_status import ConnectionStatus
from .session import Session
from .tasks import TaskRunner
from .workflows.page import WorkflowsPage

if TYPE_CHECKING:
    from .batch.controller import BatchController
    from .batch.page import BatchesPage
    from .codes.controller import CodesController
    from .launch.controller import LaunchController
    from .local.flow import LocalServerFlow
    from .logins.controller import LoginsController
    from .logins.page import LoginsPage
    from .runs.controller import RunsController
    from .runs.page import RunsPage
    from .schedules.controller import SchedulesController
    from .schedules.page import SchedulesPage
    from .settings.flow import ConnectionsFlow

_SIDEBAR_STYLE = """
#sidebar { background: palette(alternate-base); border-right: 1px solid palette(mid); }
#sidebar QToolButton { text-align: left; padding: 8px 10px; border: none; border-radius: 6px; }
#sidebar QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); }
"""


class MainWindow(QMainWindow):
    connections_requested = Signal()
    launch_requested = Signal(str)  # workflow_permanent_id
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    code_requested = Signal(str, str)  # run_id ("" for any run), totp_identifier
    closing = Signal()

    def __init__(
        self, session: Session, tasks: TaskRunner, settings: QSettings, log_dir: str
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self._settings = settings
        self._log_dir = log_dir

        self._session = session
        self._tasks = tasks
        self.workflows = WorkflowsPage(session, tasks)
        # The Runs and Schedules screens are built when first needed (shown, or a pane
        # opened): the window shows sooner, and their modules load then.
        self._runs: RunsPage | None = None
        self._schedules: SchedulesPage | None = None
        self._batches: BatchesPage | None = None
        self._logins: LoginsPage | None = None
        self._logins_flow: LoginsController | None = None
        self._batch_flow: BatchController | None = None
        self._runs_flow: RunsController | None = None  # set by route()
        self._schedules_flow: SchedulesController | None = None
        self._selected_workflow: tuple[str | None, str | None] = (None, None)
        self.waiting = 0  # runs waiting for a person (the Runs button's count)
        self._waiting_seen = 0  # how many of them the person has been shown
        self.workflows.workflow_shown.connect(self._on_workflow_shown)
        self.workflows.connections_requested.connect(self.connections_requested)
        self.workflows.launch_requested.connect(self.launch_requested)
        self.workflows.rerun_requested.connect(self.rerun_requested)
        self.workflows.schedules_changed.connect(lambda _wpid: self.reload_schedules())
        self.workflows.set_launch_available(True)

        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        sidebar.setFixedWidth(148)
        sidebar.setStyleSheet(_SIDEBAR_STYLE)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(8, 12, 8, 12)
        side.setSpacing(4)
        title = QLabel(f"<b>{APP_NAME}</b>")
        title.setObjectName("sidebarTitle")
        side.addWidget(title)
        side.addSpacing(8)
        self.nav_buttons: dict[str, QToolButton] = {}
        self._placeholders = {key: QWidget() for key in ("runs", "schedules", "batches", "logins")}
        for key, label, page, shortcut in (
            ("workflows", "Workflows", self.workflows, "Ctrl+1"),
            ("runs", "Runs", self._placeholders["runs"], "Ctrl+2"),
            ("schedules", "Schedules", self._placeholders["schedules"], "Ctrl+3"),
            ("batches", "Batches", self._placeholders["batches"], "Ctrl+4"),
            ("logins", "Logins", self._placeholders["logins"], "Ctrl+5"),
        ):
            button = QToolButton()
            button.setObjectName(f"nav{label}")
            button.setText(label)
            button.setAccessibleName(label)
            button.setToolTip(f"{label} ({shortcut})")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(
                button.sizePolicy().horizontalPolicy().Expanding,
                button.sizePolicy().verticalPolicy(),
            )
            self.stack.addWidget(page)
            button.clicked.connect(lambda _=False, k=key: self._on_nav(k))
            self.nav.addButton(button)
            self.nav_buttons[key] = button
            side.addWidget(button)
        side.addStretch(1)
        self.connections_button = QToolButton()
        self.connections_button.setObjectName("navConnections")
        self.connections_button.setText("Connections…")
        self.connections_button.setAccessibleName("Connections")
        self.connections_button.clicked.connect(self.connections_requested)
        side.addWidget(self.connections_button)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status = ConnectionStatus(session)
        self.status.setParent(self.statusBar())
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setObjectName("statusBar")
        self.message = QLabel()
        self.message.setObjectName("statusMessage")
        self.statusBar().addPermanentWidget(self.message)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.clear)
        self.statusBar().setSizeGripEnabled(True)

        self._build_menus()
        self.show_page("workflows")
        self.resize(1280, 800)
        self.restore_state()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        connections = QAction("&Connections…", self)
        connections.setObjectName("actionConnections")
        connections.setShortcut(QKeySequence("Ctrl+,"))
        connections.triggered.connect(self.connections_requested)
        file_menu.addAction(connections)
        self.code_action = QAction("Send a &verification code…", self)
        self.code_action.setObjectName("actionSendCode")
        self.code_action.setToolTip("Give a run the 2FA code it waits for")
        self.code_action.triggered.connect(lambda: self.code_requested.emit("", ""))
        self.code_action.setEnabled(self._session.client is not None)
        self._session.client_changed.connect(
            lambda: self.code_action.setEnabled(self._session.client is not None)
        )
        file_menu.addAction(self.code_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("actionQuit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view = self.menuBar().addMenu("&View")
        for key, label, shortcut in (
            ("workflows", "&Workflows", "Ctrl+1"),
            ("runs", "&Runs", "Ctrl+2"),
            ("schedules", "&Schedules", "Ctrl+3"),
        ):
            action = QAction(label, self)
            action.setObjectName(f"action{key.capitalize()}")
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, k=key: self._on_nav(k))
            view.addAction(action)
        view.addSeparator()
        self.notify_action = QAction("&Notify me when a run ends or needs me", self)
        self.notify_action.setObjectName("actionNotify")
        self.notify_action.setCheckable(True)
        self.notify_action.setChecked(
            bool(self._settings.value("notifications/enabled", True, type=bool))
        )
        self.notify_action.toggled.connect(
            lambda on: self._settings.setValue("notifications/enabled", on)
        )
        view.addAction(self.notify_action)
        view.addSeparator()
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setObjectName("actionRefresh")
        self.refresh_action.setShortcut(QKeySequence("Ctrl+R"))
        self.refresh_action.triggered.connect(self.refresh_current)
        view.addAction(self.refresh_action)
        self.addAction(self.refresh_action)

        help_menu = self.menuBar().addMenu("&Help")
        logs = QAction("Open the &log folder", self)
        logs.setObjectName("actionOpenLogs")
        logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(self._log_dir)))
        help_menu.addAction(logs)
        about = QAction(f"&About {APP_NAME}", self)
        about.setObjectName("actionAbout")
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information, f"About {APP_NAME}",
            f"<b>{APP_NAME} {__version__}</b>"
            "<p>Run and watch Skyvern workflows from your desktop.</p>",
            QMessageBox.StandardButton.Close, self,
        )  # fmt: skip
        box.setObjectName("aboutDialog")
        box.open()

    def show_message(self, text: str, seconds: int = 15) -> None:
        """A passing message at the right of the status bar; the connection stays visible."""
        self.message.setText(text)
        self._message_timer.start(seconds * 1000)

    def bring_to_front(self) -> None:
        """Another start of the app asked for this window: show it, un-minimised, on top."""
        self.setWindowState(
            (self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        )
        self.show()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ the screens

    @property
    def runs(self) -> RunsPage:
        """The Runs screen (built on first use)."""
        if self._runs is None:
            from .runs.page import RunsPage

            page = RunsPage(self._session, self._tasks)
            self._runs = page
            self._install("runs", page)
            page.set_selected_workflow(*self._selected_workflow)
            page.rerun_requested.connect(self.rerun_requested)
            page.code_requested.connect(self.code_requested)
            if self._runs_flow is not None:
                self._runs_flow.attach(page)
        return self._runs

    @property
    def schedules(self) -> SchedulesPage:
        """The Schedules screen (built on first use)."""
        if self._schedules is None:
            from .schedules.page import SchedulesPage

            page = SchedulesPage(self._session, self._tasks)
            self._schedules = page
            self._install("schedules", page)
            page.changed.connect(self.on_schedules_changed)
            page.runs_requested.connect(self.show_schedule_runs)
            self._wire_schedules_page()
        return self._schedules

    @property
    def batches(self) -> BatchesPage:
        """The Batches screen (built on first use)."""
        if self._batches is None:
            from .batch.page import BatchesPage

            page = BatchesPage()
            self._batches = page
            self._install("batches", page)
            if self._batch_flow is not None:
                self._batch_flow.attach(page)
        return self._batches

    @property
    def logins(self) -> LoginsPage:
        """The Logins screen (built on first use)."""
        if self._logins is None:
            from .logins.page import LoginsPage

            page = LoginsPage()
            self._logins = page
            self._install("logins", page)
            if self._logins_flow is not None:
                self._logins_flow.attach(page)
        return self._logins

    def _install(self, key: str, page: QWidget) -> None:
        placeholder = self._placeholders.pop(key)
        index = self.stack.indexOf(placeholder)
        current = self.stack.currentWidget() is placeholder
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if current:
            self.stack.setCurrentWidget(page)

    def _on_workflow_shown(self, wpid: str | None, title: str | None) -> None:
        self._selected_workflow = (wpid, title)
        if self._runs is not None:
            self._runs.set_selected_workflow(wpid, title)

    def close_run_panes(self) -> None:
        """Close every run pane (quitting), without building the Runs screen for it."""
        if self._runs is not None:
            self._runs.close_all()

    def reload_schedules(self) -> None:
        """The Schedules screen reloads, if it was ever shown."""
        if self._schedules is not None:
            self._schedules.reload()

    # ------------------------------------------------------------------ routing

    def route(
        self,
        *,
        launch: LaunchController,
        runs: RunsController,
        schedules: SchedulesController,
        local: LocalServerFlow,
        connections: ConnectionsFlow,
        codes: CodesController,
        batches: BatchController,
        logins: LoginsController,
    ) -> None:
        """Connect the screens' intents to the flows that own them, and the flows' results
        back to the screens. This is the only place where screens meet."""
        self.connections_requested.connect(connections.request)
        self.launch_requested.connect(lambda wpid: launch.request(wpid))
        self.rerun_requested.connect(lambda wpid, run_id: launch.request(wpid, rerun_of=run_id))
        launch.run_started.connect(runs.on_run_started)
        schedules.run_started.connect(runs.on_run_started)
        runs.run_started.connect(lambda _run: self.workflows.request_refresh())  # Last run
        runs.pane_focused.connect(lambda: self.show_page("runs"))
        runs.waiting_count.connect(self.set_waiting_count)
        self.code_requested.connect(lambda run_id, ident: codes.request(run_id or None, ident))
        for flow in (runs, schedules, local):
            flow.message.connect(self.show_message)
        self.workflows.edit_schedule_requested.connect(schedules.request_edit)
        self.workflows.new_schedule_requested.connect(schedules.request_new)
        schedules.changed.connect(self.on_schedules_changed)
        self.workflows.batch_requested.connect(batches.request_new)
        batches.page_wanted.connect(lambda: self.show_page("batches"))
        batches.run_open_requested.connect(lambda run_id: runs.open_run(run_id))
        batches.notify.connect(lambda title, text: runs.notify(title, text))
        batches.message.connect(self.show_message)
        self._runs_flow, self._schedules_flow = runs, schedules
        self._batch_flow = batches
        logins.launch_requested.connect(lambda wpid, options: launch.request(wpid, prefill=options))
        logins.message.connect(self.show_message)
        self._logins_flow = logins
        if self._logins is not None:
            logins.attach(self._logins)
        if self._batches is not None:
            batches.attach(self._batches)
        if self._runs is not None:
            runs.attach(self._runs)
        self._wire_schedules_page()

    def _wire_schedules_page(self) -> None:
        """The Schedules screen's intents to their owner, once both exist."""
        page, schedules = self._schedules, self._schedules_flow
        if page is None or schedules is None:
            return
        page.new_requested.connect(lambda: schedules.request_new(None))
        page.edit_requested.connect(schedules.request_edit)
        page.duplicate_requested.connect(schedules.request_duplicate)
        page.run_now_requested.connect(schedules.request_run_now)

    def on_schedules_changed(self, wpid: str) -> None:
        """A schedule of ``wpid`` was saved, switched or deleted: every list of it follows."""
        if self.workflows.selected_workflow_id() == wpid:
            self.workflows.reload_workflow_schedules(wpid)
        self.reload_schedules()
        self.workflows.request_refresh()  # the Schedules column

    def show_schedule_runs(self, wpid: str, schedule_id: str, label: str) -> None:
        """The run history, filtered to the runs this schedule started."""
        self.runs.show_schedule(wpid, schedule_id, label)
        self.show_page("runs")

    def set_waiting_count(self, count: int) -> None:
        """The Runs button says how many runs wait for a person; clicking it then shows
        them (the history's "Waiting for me")."""
        self.waiting = count
        self._waiting_seen = min(self._waiting_seen, count)
        button = self.nav_buttons["runs"]
        button.setText(f"Runs  ({count})" if count else "Runs")
        said = (
            f"{count} run waits for you" if count == 1 else f"{count} runs wait for you"
        )  # fmt: skip
        button.setToolTip(f"Runs (Ctrl+2) · {said}" if count else "Runs (Ctrl+2)")
        button.setAccessibleName(f"Runs, {said}" if count else "Runs")
        button.setStyleSheet("QToolButton { font-weight: bold; }" if count else "")

    def show_page(self, key: str) -> None:
        if key == "runs":
            runs = self.runs
            if self.stack.currentWidget() is not runs:
                runs.reload_history()
            page: QWidget = runs
        elif key == "schedules":
            page = self.schedules
        elif key == "batches":
            page = self.batches
        elif key == "logins":
            page = self.logins
        else:
            page = self.workflows
        self.stack.setCurrentWidget(page)
        self.nav_buttons[key].setChecked(True)

    def _on_nav(self, key: str) -> None:
        """The sidebar's buttons. While the Runs button counts runs that wait for a person
        that were not shown yet, it shows them (the history's "Waiting for me"); after
        that it keeps the history's filters as they were."""
        self.show_page(key)
        if key == "runs" and self.waiting > self._waiting_seen:
            self.runs.show_waiting()
        if key == "runs":
            self._waiting_seen = self.waiting

    def current_page(self) -> str:
        for key, button in self.nav_buttons.items():
            if button.isChecked():
                return key
        return "workflows"

    def refresh_current(self) -> None:
        if self.stack.currentWidget() is self.workflows:
            self.workflows.request_refresh()
        elif self._runs is not None and self.stack.currentWidget() is self._runs:
            self._runs.reload_history()

    # ------------------------------------------------------------------ state

    def restore_state(self) -> None:
        s = self._settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = s.value("workflows/splitter")
        if isinstance(splitter, QByteArray):
            self.workflows.splitter.restoreState(splitter)
        header = s.value("workflows/header")
        if isinstance(header, QByteArray):
            self.workflows.table.horizontalHeader().restoreState(header)
        page = s.value("window/page")
        if isinstance(page, str) and page in self.nav_buttons:
            self.show_page(page)

    def save_state(self) -> None:
        s = self._settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("workflows/splitter", self.workflows.splitter.saveState())
        s.setValue("workflows/header", self.workflows.table.horizontalHeader().saveState())
        s.setValue("window/page", self.current_page())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        event.accept()
        self.closing.emit()
