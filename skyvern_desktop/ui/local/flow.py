"""The local server as the person meets it: the Local server menu, the start window, the
crash box, the browser install, choosing a skyvern program, and connecting to the server
once it runs (its key in the keyring, the examples imported once).

The process itself is :class:`~.controller.LocalServerController`'s.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from ...api.errors import SkyvernError
from ...api.secrets import Secret
from ...core.connection.profiles import LOCAL_PROFILE_ID, Profile, ProfileKind
from ...core.connection.secrets import KeyStoreError
from ..dialogs import wait_closed
from .controller import LocalServerController, ServerState

if TYPE_CHECKING:  # the windows load when first opened, not while the main window shows
    from .dialogs import StartDialog

log = logging.getLogger(__name__)


_STATE_LABELS = {
    ServerState.STARTING: "Local server: starting…",
    ServerState.RUNNING: "Local server: running",
    ServerState.STOPPING: "Local server: stopping…",
    ServerState.STOPPED: "Local server: stopped",
    ServerState.CRASHED: "Local server: stopped unexpectedly",
}

if TYPE_CHECKING:
    from ..context import AppContext


class LocalServerFlow(QObject):
    """``message(text)`` for the status bar."""

    message = Signal(str)

    def __init__(
        self, ctx: AppContext, *, reload_workflows: Callable[[], Awaitable[object]]
    ) -> None:
        window = ctx.parent
        assert isinstance(window, QMainWindow)
        super().__init__(window)
        self._window = window
        self._session = ctx.session
        self._store = ctx.profiles
        self._keys = ctx.keys
        self._tasks = ctx.tasks
        self._reporter = ctx.reporter
        self._headless = ctx.headless
        self._reload_workflows = reload_workflows  # awaited after examples were added
        settings, data_dir = ctx.settings, ctx.paths.data_dir / "local-server"
        # Parented to the window, so Qt deletes it (and its watch timer) with the window,
        # never Python's garbage collector at some later moment.
        self.process = LocalServerController(data_dir, settings, parent=window)
        self.process.crashed.connect(self._on_crashed)
        self.process.state_changed.connect(self._on_state)
        self.start_windows: list[StartDialog] = []  # open start windows, newest last
        self._actions: dict[str, QAction] = {}
        self._build_menu()

    # ------------------------------------------------------------------ starting

    def request_start(self) -> None:
        self._tasks.spawn("local.start", self.start(), replace=False)

    async def start(self, *, interactive: bool = True) -> bool:
        """Start (or reuse) the local server, store its key like any other, connect to it,
        and the first time import the example workflows. False if it did not start."""
        from ...core.server.runtime import (
            LocalServerError,
            ServerMissingError,
            StartCancelledError,
        )

        if self.process.state in (ServerState.STARTING, ServerState.STOPPING):
            self.message.emit("The local server is already starting or stopping.")
            return False
        from .dialogs import StartDialog

        dialog: StartDialog | None = None
        if not self._headless or interactive:
            dialog = StartDialog(self.process.log_path, parent=self._window)
            dialog.choose_program.connect(lambda: self.choose_program(dialog))
            self.start_windows.append(dialog)
            dialog.finished.connect(lambda _r, d=dialog: self._forget_start_window(d))
            dialog.show()
        self.message.emit("Starting the local Skyvern server…")
        try:
            version = await self.process.start(
                cancelled=lambda: dialog is not None and dialog.cancel_requested
            )
        except StartCancelledError:
            if dialog is not None:
                dialog.finish_cancelled()
            self.message.emit("The local server was not started.")
            return False
        except ServerMissingError as exc:
            self._failed(dialog, str(exc), exc.command)
            return False
        except LocalServerError as exc:
            self._failed(dialog, str(exc), None)
            return False
        if dialog is not None:
            dialog.accept()
        base_url = self.process.base_url
        key = self.process.api_key()
        assert base_url is not None and key
        log.info("local Skyvern server %s ready at %s", version, base_url)
        profile = Profile(
            name="Local server", kind=ProfileKind.LOCAL, base_url=base_url, id=LOCAL_PROFILE_ID
        )
        self._store.upsert(profile)
        self._store.set_active(profile.id)
        try:
            await asyncio.to_thread(
                self._keys.set, profile.id, Secret(key), memory_only=not self._keys.available
            )
        except KeyStoreError as exc:
            self._reporter.report("The local server's key could not be stored.", exc)
        await self._session.connect_to(profile, Secret(key))
        await self._import_examples()
        return True

    async def wait_for_start_window(self) -> None:
        """Wait until the last start window (saying why a start failed) is closed."""
        if self.start_windows and self.start_windows[-1].isVisible():
            await wait_closed(self.start_windows[-1])

    async def _import_examples(self) -> None:
        from ...core.server.examples import import_examples

        client = self._session.client
        if client is None:
            return
        try:
            created = await import_examples(client, self.process.data_dir)
        except SkyvernError as exc:
            self._reporter.report("The example workflows could not be added.", exc)
            return
        if created:
            log.info("imported %d example workflows", len(created))
            self.message.emit(f"Added {len(created)} example workflows to try.")
            await self._reload_workflows()  # listed before start() returns

    def _forget_start_window(self, dialog: StartDialog) -> None:
        """A start window that closed is deleted (its log timer with it)."""
        if dialog in self.start_windows:
            self.start_windows.remove(dialog)
        dialog.deleteLater()

    def _failed(self, dialog: StartDialog | None, message: str, command: str | None) -> None:
        if self._headless and dialog is None:
            print(f"error: {message}" + (f"\n  {command}" if command else ""), file=sys.stderr)  # noqa: T201
        elif dialog is not None:
            if command:
                dialog.show_missing(message, command)
            else:
                dialog.show_failure(message)
        self.message.emit("The local server did not start.")

    async def stop(self) -> None:
        profile = self._session.profile
        if profile is not None and profile.kind is ProfileKind.LOCAL:
            await self._session.close_connection()
        await self.process.stop()

    async def restart(self) -> bool:
        await self.stop()
        return await self.start()

    # ------------------------------------------------------------------ the program

    def choose_program(self, dialog: StartDialog | None = None) -> None:
        """Ask for the skyvern program (a non-blocking file dialog: no nested event loop);
        once chosen, start the server with it."""
        picker = QFileDialog(self._window, "Choose the skyvern program", str(Path.home()))
        picker.setObjectName("localProgramPicker")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)

        def chosen(path: str) -> None:
            self.process.set_program(path)
            if dialog is not None:
                dialog.close()
            self.request_start()

        picker.fileSelected.connect(chosen)
        picker.finished.connect(lambda _r: picker.deleteLater())
        picker.open()

    def forget_program(self) -> None:
        """Back to the usual places: the app's own environment, then the cached one."""
        self.process.set_program(None)
        self.message.emit("The local server will use the default Skyvern from now on.")

    # ------------------------------------------------------------------ state and crash

    def _on_state(self, state: str) -> None:
        self.message.emit(_STATE_LABELS.get(ServerState(state), state))
        running = state == ServerState.RUNNING
        busy = state in (ServerState.STARTING, ServerState.STOPPING)
        self._actions["start"].setEnabled(not running and not busy)
        self._actions["stop"].setEnabled(running)
        self._actions["restart"].setEnabled(running or state == ServerState.CRASHED)
        self._actions["program"].setEnabled(not busy)

    def _on_crashed(self, tail: str) -> None:
        profile = self._session.profile
        if profile is not None and profile.kind is ProfileKind.LOCAL:
            # The screens say "not connected" rather than fail request after request.
            self._tasks.spawn("local.disconnect", self._session.close_connection())
        box = QMessageBox(self._window)
        box.setObjectName("localCrashed")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Local server stopped")
        box.setText("The local Skyvern server stopped unexpectedly.")
        box.setInformativeText(
            "Runs it was doing are interrupted. Restart it to go on; the last lines of its"
            " log are below."
        )
        box.setDetailedText(tail)
        restart = box.addButton("Restart", QMessageBox.ButtonRole.AcceptRole)
        restart.setObjectName("localCrashedRestart")
        box.addButton(QMessageBox.StandardButton.Close)

        def finished(_result: int) -> None:
            if box.clickedButton() is restart:
                self.request_start()
            box.deleteLater()

        box.finished.connect(finished)
        box.open()

    # ------------------------------------------------------------------ the menu

    def _build_menu(self) -> None:
        bar = self._window.menuBar()
        menu = QMenu("&Local server", bar)
        menu.setObjectName("localMenu")
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, menu)  # before Help, where menus usually end
        else:
            bar.addMenu(menu)
        for key, text, slot in (
            ("start", "&Start", self.request_start),
            ("stop", "S&top", lambda: self._tasks.spawn("local.stop", self.stop())),
            ("restart", "&Restart", lambda: self._tasks.spawn(
                "local.start", self.restart(), replace=False)),
            ("log", "Show the &log…", self.show_log),
            ("browser", "Install the &browser…", self.install_browser),
            ("program", "Choose the skyvern &program…", lambda: self.choose_program(None)),
            ("default", "Use the &default Skyvern", self.forget_program),
            ("limits", "What a local server can &do", self.show_limits),
        ):  # fmt: skip
            action = QAction(text, self._window)
            action.setObjectName(f"actionLocal_{key}")
            action.triggered.connect(slot)
            menu.addAction(action)
            self._actions[key] = action
            if key in ("restart", "log"):
                menu.addSeparator()
        self._actions["stop"].setEnabled(False)
        self._actions["restart"].setEnabled(False)

    def show_log(self) -> None:
        from .dialogs import LogViewer

        viewer = LogViewer(self.process.log_path, parent=self._window)
        viewer.finished.connect(lambda _r: viewer.deleteLater())
        viewer.show()

    def show_limits(self) -> None:
        box = QMessageBox(self._window)
        box.setObjectName("localLimits")
        box.setWindowTitle("What a local server can do")
        box.setTextFormat(Qt.TextFormat.RichText)
        from .dialogs import LIMITS_TEXT

        box.setText(LIMITS_TEXT)
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()

    def install_browser(self) -> None:
        """Install Playwright's Chromium into the server's environment, showing its output."""
        from ...core.server.runtime import LocalServerError, ServerMissingError

        try:
            runtime = self.process.runtime()
        except LocalServerError as exc:
            command = exc.command if isinstance(exc, ServerMissingError) else None
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Install the browser",
                f"{exc}\n\n{command}" if command else str(exc),
                QMessageBox.StandardButton.Close, self._window,
            )  # fmt: skip
            box.setObjectName("installBrowserProblem")
            box.finished.connect(lambda _r: box.deleteLater())
            box.open()  # not the static warning(): that would nest an event loop
            return
        env = {}
        if runtime.browsers_path is not None:  # where this server's Playwright looks
            env["PLAYWRIGHT_BROWSERS_PATH"] = str(runtime.browsers_path)
        from .dialogs import CommandDialog

        dialog = CommandDialog(
            "Installing the browser for the local server",
            [str(runtime.python), "-m", "playwright", "install", "chromium"],
            env=env,
            parent=self._window,
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.show()
        dialog.start()
