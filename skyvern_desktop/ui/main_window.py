"""The main window: the screens (from the table in ``screens.py``), menus, the connection
status bar, and ``_connect_signals``, the one place where owners and screens meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
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
from .changes import Change
from .connection_status import ConnectionStatus
from .context import AppContext
from .screen import Screen, ScreenOwner
from .screens import SCREENS, spec

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
    from .workflows.page import WorkflowsPage

_SIDEBAR_STYLE = """
#sidebar { background: palette(alternate-base); border-right: 1px solid palette(mid); }
#sidebar QToolButton { text-align: left; padding: 8px 10px; border: none; border-radius: 6px; }
#sidebar QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); }
"""


@dataclass(frozen=True, slots=True)
class Flows:
    """The owners the app composed, handed to the window once to be connected."""

    launch: LaunchController
    runs: RunsController
    schedules: SchedulesController
    local: LocalServerFlow
    connections: ConnectionsFlow
    codes: CodesController
    batches: BatchController
    logins: LoginsController

    def owners(self) -> dict[str, ScreenOwner[Any]]:
        """Which owner feeds which screen (the Workflows screen has none yet)."""
        return {
            "runs": self.runs, "schedules": self.schedules, "batches": self.batches,
            "logins": self.logins,
        }  # fmt: skip


class MainWindow(QMainWindow):
    connections_requested = Signal()
    launch_requested = Signal(str)  # workflow_permanent_id
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    code_requested = Signal(str, str)  # run_id ("" for any run), totp_identifier
    screen_built = Signal(str, object)  # key, the screen
    closing = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self._ctx = ctx
        self._settings = ctx.settings
        self._session = ctx.session
        self._screens: dict[str, QWidget] = {}
        self._owners: dict[str, ScreenOwner[Any]] = {}
        self.waiting = 0  # runs waiting for a person (the Runs button's count)
        self._waiting_seen = 0  # how many of them the person has been shown

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
        # Screens not built yet stand in the stack as placeholders (built on first use:
        # the window shows sooner, and their modules load then).
        self._placeholders: dict[str, QWidget] = {}
        for screen in SCREENS:
            button = QToolButton()
            button.setObjectName(f"nav{screen.label}")
            button.setText(screen.label)
            button.setAccessibleName(screen.label)
            button.setToolTip(f"{screen.label} ({screen.shortcut})")
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(
                button.sizePolicy().horizontalPolicy().Expanding,
                button.sizePolicy().verticalPolicy(),
            )
            placeholder = QWidget()
            self._placeholders[screen.key] = placeholder
            self.stack.addWidget(placeholder)
            button.clicked.connect(lambda _=False, k=screen.key: self._on_nav(k))
            self.nav.addButton(button)
            self.nav_buttons[screen.key] = button
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

        self.status = ConnectionStatus(ctx.session)
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
        self.set_owner("workflows", ctx.catalogue)
        for screen in SCREENS:
            if screen.first:
                self.screen_for(screen.key)
        self._wire_workflows()
        ctx.changes.changed.connect(self._announce)
        self.show_page(SCREENS[0].key)
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
        for screen in SCREENS:
            action = QAction(screen.menu_label, self)
            action.setObjectName(f"action{screen.key.capitalize()}")
            action.setShortcut(QKeySequence(screen.shortcut))
            action.triggered.connect(lambda _=False, k=screen.key: self._on_nav(k))
            view.addAction(action)
            self.addAction(action)  # the shortcut works whatever has focus
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
        logs.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._ctx.paths.log_dir)))
        )
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

    def screen_for(self, key: str) -> QWidget:
        """The screen ``key``, built (from the table) the first time it is asked for; its
        owner, if it has one yet, is attached to it then."""
        built = self._screens.get(key)
        if built is not None:
            return built
        page = spec(key).build(self._ctx)
        assert isinstance(page, Screen), f"{key}: a screen has refresh, state and on_change"
        self._screens[key] = page
        placeholder = self._placeholders.pop(key)
        index = self.stack.indexOf(placeholder)
        current = self.stack.currentWidget() is placeholder
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if current:
            self.stack.setCurrentWidget(page)
        page.restore_state(self._settings)
        if (owner := self._owners.get(key)) is not None:
            owner.attach(page)
        self.screen_built.emit(key, page)
        return page

    def built(self, key: str) -> QWidget | None:
        """The screen ``key`` if it was built, without building it."""
        return self._screens.get(key)

    @property
    def workflows(self) -> WorkflowsPage:
        return cast("WorkflowsPage", self.screen_for("workflows"))

    @property
    def runs(self) -> RunsPage:
        return cast("RunsPage", self.screen_for("runs"))

    @property
    def schedules(self) -> SchedulesPage:
        return cast("SchedulesPage", self.screen_for("schedules"))

    @property
    def batches(self) -> BatchesPage:
        return cast("BatchesPage", self.screen_for("batches"))

    @property
    def logins(self) -> LoginsPage:
        return cast("LoginsPage", self.screen_for("logins"))

    def set_owner(self, key: str, owner: ScreenOwner[Any]) -> None:
        """``owner`` feeds screen ``key``: it builds the screen when it must show something
        (``owner.page``), and is attached to it whenever it is built."""
        self._owners[key] = owner
        owner.bind_screen(lambda: self.screen_for(key))
        if (page := self._screens.get(key)) is not None:
            owner.attach(page)

    def _announce(self, change: Change) -> None:
        """A change an owner announced: each screen built so far decides what to reload."""
        for page in self._screens.values():
            cast("Screen", page).on_change(change)

    # ------------------------------------------------------------------ routing

    def _wire_workflows(self) -> None:
        """The Workflows screen's intents (it has no owner yet: they are the window's)."""
        page = self.workflows
        page.connections_requested.connect(self.connections_requested)
        page.launch_requested.connect(self.launch_requested)
        page.rerun_requested.connect(self.rerun_requested)
        page.set_launch_available(True)

    def route(self, flows: Flows) -> None:
        """The owners exist now: connect them (once)."""
        for key, owner in flows.owners().items():
            self.set_owner(key, owner)
        self._connect_signals(flows)

    def _connect_signals(self, f: Flows) -> None:
        """Every connection between the window, the screens' intents and the owners, in
        one place. Owners listen to their own screens (``ScreenOwner.on_attach``)."""
        workflows = self.workflows
        # Intents to the flows that own them
        self.connections_requested.connect(f.connections.request)
        self.launch_requested.connect(lambda wpid: f.launch.request(wpid))
        self.rerun_requested.connect(lambda wpid, run_id: f.launch.request(wpid, rerun_of=run_id))
        f.runs.rerun_requested.connect(self.rerun_requested)
        self.code_requested.connect(lambda run_id, ident: f.codes.request(run_id or None, ident))
        f.runs.code_requested.connect(self.code_requested)
        workflows.edit_schedule_requested.connect(f.schedules.request_edit)
        workflows.new_schedule_requested.connect(f.schedules.request_new)
        workflows.batch_requested.connect(f.batches.request_new)
        workflows.workflow_shown.connect(f.runs.set_selected_workflow)
        f.logins.launch_requested.connect(
            lambda wpid, options: f.launch.request(wpid, prefill=options)
        )
        # A run started anywhere opens in the runs owner's pane
        f.launch.run_started.connect(f.runs.on_run_started)
        f.schedules.run_started.connect(f.runs.on_run_started)
        f.schedules.runs_requested.connect(f.runs.show_schedule)
        f.batches.run_open_requested.connect(lambda run_id: f.runs.open_run(run_id))
        f.batches.notify.connect(lambda title, text: f.runs.notify(title, text))
        # Which screen shows, and what the window says
        f.runs.pane_focused.connect(lambda: self.show_page("runs"))
        f.runs.waiting_count.connect(self.set_waiting_count)
        f.batches.page_wanted.connect(lambda: self.show_page("batches"))
        for flow in (f.runs, f.schedules, f.local, f.batches, f.logins):
            flow.message.connect(self.show_message)

    def set_waiting_count(self, count: int) -> None:
        """The Runs button says how many runs wait for a person; clicking it then shows
        them (the history's "Waiting for me")."""
        self.waiting = count
        self._waiting_seen = min(self._waiting_seen, count)
        button = self.nav_buttons["runs"]
        runs = spec("runs")
        button.setText(f"{runs.label}  ({count})" if count else runs.label)
        said = (
            f"{count} run waits for you" if count == 1 else f"{count} runs wait for you"
        )  # fmt: skip
        tip = f"{runs.label} ({runs.shortcut})"
        button.setToolTip(f"{tip} · {said}" if count else tip)
        button.setAccessibleName(f"{runs.label}, {said}" if count else runs.label)
        button.setStyleSheet("QToolButton { font-weight: bold; }" if count else "")

    def show_page(self, key: str) -> None:
        page = self.screen_for(key)
        if key == "runs" and self.stack.currentWidget() is not page:
            cast("Screen", page).refresh()  # the history, fresh each time it is shown
        self.stack.setCurrentWidget(page)
        self.nav_buttons[key].setChecked(True)

    def _on_nav(self, key: str) -> None:
        """The sidebar's buttons and the View menu's shortcuts. While the Runs button
        counts runs that wait for a person that were not shown yet, it shows them (the
        history's "Waiting for me"); after that it keeps the history's filters as they
        were."""
        self.show_page(key)
        if key == "runs" and self.waiting > self._waiting_seen:
            self.runs.show_waiting()
        if key == "runs":
            self._waiting_seen = self.waiting

    def current_page(self) -> str:
        for key, button in self.nav_buttons.items():
            if button.isChecked():
                return key
        return SCREENS[0].key

    def refresh_current(self) -> None:
        """Ctrl+R: the screen on show loads again, whichever it is."""
        cast("Screen", self.screen_for(self.current_page())).refresh()

    # ------------------------------------------------------------------ state

    def restore_state(self) -> None:
        s = self._settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        page = s.value("window/page")
        if isinstance(page, str) and page in self.nav_buttons:
            self.show_page(page)

    def save_state(self) -> None:
        s = self._settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        for page in self._screens.values():
            cast("Screen", page).save_state(s)
        s.setValue("window/page", self.current_page())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        event.accept()
        self.closing.emit()
