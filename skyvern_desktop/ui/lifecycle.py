"""One app per user, and a clean quit on every path.

- :class:`SingleInstance`: the first window listens on a local socket named after the
  app's data folder; a second start finds it, asks it to come to the front, and exits.
  A lock file settles a race between two starts at the same moment.
- :class:`QuitSignals`: SIGINT (Ctrl+C), SIGTERM (logout, shutdown, ``timeout``, ``kill``)
  and SIGHUP (the terminal closed) take the same path as File → Quit, which stops the local
  server and its browsers. Python runs signal handlers only between bytecodes, and the Qt
  loop sits in C++; the C-level handler writes the signal to a socket that a
  ``QSocketNotifier`` watches, so the loop wakes at once. On Windows a console's Ctrl+C,
  Ctrl+Break, close button, logoff and shutdown events come through
  ``SetConsoleCtrlHandler``; the handler waits (Windows allows about 5 s) until the quit has
  stopped the server.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QLockFile,
    QMessageLogContext,
    QObject,
    QSocketNotifier,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
_CONNECT_MS = 1000


def instance_name(data_dir: Path) -> str:
    """The local socket's name: one per user and app data folder (tests get their own)."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{data_dir.resolve()}".encode()).hexdigest()
    return f"skyvern-desktop-{digest[:16]}"


class SingleInstance(QObject):
    """``activated`` fires in the first instance whenever a later start asks for it."""

    activated = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = instance_name(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(data_dir / "instance.lock"))
        self._lock.setStaleLockTime(0)  # stale = its process is gone, however young
        self._server: QLocalServer | None = None

    def _ask_running(self) -> bool:
        """Ask a running instance to come to the front; whether one answered."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(_CONNECT_MS):
            return False
        sock.write(ACTIVATE)
        sock.flush()
        sock.waitForBytesWritten(_CONNECT_MS)
        sock.disconnectFromServer()
        return True

    def claim(self, wait_s: float = 5.0) -> bool:
        """True when this is the first instance (it then listens); False when another one
        runs and was asked to come to the front. Runs before the event loop starts."""
        deadline = time.monotonic() + wait_s
        while True:
            if self._ask_running():
                return False
            if self._lock.tryLock(0):
                break
            # Another start holds the lock and is not listening yet: it soon will be.
            if time.monotonic() > deadline:
                log.warning("another instance holds the lock but does not answer; going on")
                self._lock.removeStaleLockFile()
                if not self._lock.tryLock(0):
                    return True  # cannot tell; better a second window than none
                break
            time.sleep(0.1)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a socket file left by a killed instance
        if not server.listen(self.name):
            log.warning("single-instance socket: %s", server.errorString())
            return True
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.readyRead.connect(lambda s=sock: self._on_ready(s))
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._on_ready(sock)

    def _on_ready(self, sock: QLocalSocket) -> None:
        if bytes(sock.readAll().data()).startswith(ACTIVATE.strip()):
            log.info("another start of the app asked to come to the front")
            self.activated.emit()

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()


QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class QuitSignals(QObject):
    """``quit_requested(signum)`` in the loop's thread when a quit signal arrives."""

    quit_requested = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._console_handler: Any = None
        self.done = threading.Event()  # set once the quit has finished (Windows waits on it)

    def install(self) -> None:
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for sig in QUIT_SIGNALS:
            # The Python-level handler does nothing: the byte the C handler wrote to the
            # socket is what wakes the loop (see _drain).
            self._previous[sig] = signal.signal(sig, lambda _s, _f: None)
        self._install_console_handler()

    def _drain(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:
            if signum in QUIT_SIGNALS:
                log.info("quitting on signal %s", signal.Signals(signum).name)
                self.quit_requested.emit(signum)
                return

    def _install_console_handler(self) -> None:  # pragma: no cover - Windows only
        if sys.platform != "win32":
            return
        import ctypes
        from ctypes import wintypes

        handler_type = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)
        ctrl_close, ctrl_logoff, ctrl_shutdown = 2, 5, 6

        def on_event(event: int) -> bool:
            if event in (ctrl_close, ctrl_logoff, ctrl_shutdown):
                # Windows ends the process when this returns: wait for the quit first.
                with contextlib.suppress(OSError):
                    self._writer.send(bytes([signal.SIGTERM]))
                self.done.wait(4.5)
                return True
            return False  # Ctrl+C / Ctrl+Break: Python's own handler raises SIGINT/SIGBREAK

        self._console_handler = handler_type(on_event)
        ctypes.windll.kernel32.SetConsoleCtrlHandler(self._console_handler, True)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self.done.set()
        self._reader.close()
        self._writer.close()


# What Qt's offscreen platform says whenever a window is shown or raised: true, and of no
# use to whoever reads a --self-test or --screenshot run's output.
_OFFSCREEN_CHATTER = (
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)


def quiet_offscreen_chatter() -> None:
    """Drop the offscreen platform's chatter; every other Qt message is printed as before."""

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind == QtMsgType.QtWarningMsg and message.startswith(_OFFSCREEN_CHATTER):
            return
        sys.stderr.write(f"{message}\n")

    qInstallMessageHandler(handler)
