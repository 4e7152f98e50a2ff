"""The managed local Skyvern server, as the UI sees it: start, stop, restart, and a watch
that notices a crash.

The process itself is ``core.local_server.LocalServer`` (``subprocess.Popen``: asyncio
subprocesses do not work on the qasync loop). Its blocking calls run in worker threads,
so the window keeps painting while the server starts (about 15-20 s).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

if TYPE_CHECKING:  # loaded when the server is first started, not while the window shows
    from ...core.server.process import LocalServer
    from ...core.server.runtime import Runtime

log = logging.getLogger(__name__)

WATCH_MS = 2_000
START_TIMEOUT_S = 240.0
PROGRAM_SETTING = "local/skyvern_program"


class ServerState(enum.StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    CRASHED = "crashed"


class LocalServerController(QObject):
    """``state_changed(state)`` on every change; ``crashed(log tail)`` when the server ends
    without being asked to."""

    state_changed = Signal(str)
    crashed = Signal(str)

    def __init__(self, data_dir: Path, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self._settings = settings
        self.server: LocalServer | None = None
        self.version: str | None = None
        self.state = ServerState.STOPPED
        self._pending: LocalServer | None = None  # being started
        self._abort = False
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self.check_alive)

    # ------------------------------------------------------------------ settings

    @property
    def program(self) -> str | None:
        """The ``skyvern`` program the user chose in Settings, if any."""
        value = self._settings.value(PROGRAM_SETTING, "", type=str)
        return str(value) or None

    def set_program(self, path: str | None) -> None:
        self._settings.setValue(PROGRAM_SETTING, path or "")

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def runtime(self) -> Runtime:
        from ...core.server.runtime import locate_runtime

        return locate_runtime(self.program)

    # ------------------------------------------------------------------ lifecycle

    def _set_state(self, state: ServerState) -> None:
        if state is not self.state:
            self.state = state
            self.state_changed.emit(state.value)

    @property
    def running(self) -> bool:
        return self.state is ServerState.RUNNING

    @property
    def base_url(self) -> str | None:
        return self.server.base_url if self.server is not None and self.running else None

    async def start(self, cancelled: Callable[[], bool] = lambda: False) -> str:
        """Start the server (or take over one an earlier start left running); its version.

        Raises :class:`LocalServerError` (``ServerMissingError`` with the install command,
        ``StartCancelledError``) after cleaning up what was started.
        """
        from ...core.server.process import LocalServer
        from ...core.server.runtime import StartCancelledError

        if self.running and self.server is not None and self.version is not None:
            return self.version
        self._set_state(ServerState.STARTING)
        self._abort = False
        server: LocalServer | None = None
        try:
            runtime = await asyncio.to_thread(self.runtime)
            server = self._pending = LocalServer(runtime, self.data_dir)
            version = await asyncio.to_thread(server.adopt_running)
            if version is None:
                await asyncio.to_thread(server.start)
                version = await asyncio.to_thread(
                    server.wait_ready,
                    START_TIMEOUT_S,
                    # The worker thread stops waiting when the person cancels or the app
                    # quits (a cancelled task cannot stop a thread by itself).
                    cancelled=lambda: self._abort or cancelled(),
                )
            if self._abort:
                raise StartCancelledError("Starting the local server was cancelled.")
        except BaseException:
            if server is not None:
                await asyncio.to_thread(server.stop)
            self._pending = None
            self._set_state(ServerState.STOPPED)
            raise
        self._pending = None
        self.server, self.version = server, version
        self._set_state(ServerState.RUNNING)
        self._watch.start()
        return version

    def api_key(self) -> str | None:
        return self.server.api_key() if self.server is not None else None

    async def stop(self) -> None:
        """Stop the server and everything it started; waits until they are gone. A start
        in progress is called off, and what it started is stopped too."""
        self._watch.stop()
        self._abort = True
        if (pending := self._pending) is not None:
            await asyncio.to_thread(pending.stop)
        server = self.server
        if server is None:
            self._set_state(ServerState.STOPPED)
            return
        self._set_state(ServerState.STOPPING)
        try:
            await asyncio.to_thread(server.stop)
        finally:
            self.server = None
            self.version = None
            self._set_state(ServerState.STOPPED)

    def check_alive(self) -> bool:
        """Notice a server that ended without being asked to (the watch calls this)."""
        server = self.server
        if server is None or self.state is not ServerState.RUNNING:
            return True
        if server.is_running():
            return True
        self._watch.stop()
        code = server.exit_code()
        tail = server.log_tail(40)
        log.error("the local Skyvern server ended unexpectedly (exit code %s)", code)
        server.stop()  # closes the log, removes the state file, kills any leftover browser
        self.server = None
        self.version = None
        self._set_state(ServerState.CRASHED)
        self.crashed.emit(tail)
        return False
