"""Dialogs of the local server: starting it (with its log and Cancel), what is missing,
its log, and installing the browser its browser blocks need."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..widgets.labels import BANNER_STYLE

LOG_REFRESH_MS = 500
TAIL_BYTES = 64 * 1024
LLM_DOCS_URL = "https://docs.skyvern.com/getting-started/quickstart"
LIMITS_TEXT = (
    "This Skyvern server runs on your computer with no account. Waits, HTTP requests and"
    " opening web pages work as they are. Blocks that think — tasks, navigation, extraction,"
    " login and the other AI blocks — need an LLM key (for example OPENAI_API_KEY) in the"
    f" server's settings file; see <a href='{LLM_DOCS_URL}'>Skyvern's documentation</a>."
)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> str:
    """The end of a log file, decoded leniently and without terminal colour codes
    ("" when there is none yet)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return ""
    text = _ANSI.sub("", data.decode("utf-8", "replace"))
    return text if size <= max_bytes else text.partition("\n")[2]


def _log_view(name: str) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setObjectName(name)
    view.setReadOnly(True)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setMaximumBlockCount(2000)
    return view


def _show_text(view: QPlainTextEdit, text: str) -> None:
    """Replace the text, keeping the view at the bottom if it was there."""
    if view.toPlainText() == text:
        return
    bar = view.verticalScrollBar()
    at_end = bar.value() >= bar.maximum() - 2
    view.setPlainText(text)
    if at_end:
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())


class StartDialog(QDialog):
    """Shown while the server starts: what is happening, its log as it grows, and Cancel.
    When the start fails it stays open and says why (or how to install what is missing)."""

    choose_program = Signal()

    def __init__(self, log_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("localStartDialog")
        self.setWindowTitle("Local Skyvern server")
        self.resize(760, 460)
        self.log_path = log_path
        self.cancel_requested = False
        self.title = QLabel("<b>Starting the Skyvern server on this computer…</b>")
        self.title.setObjectName("localStartTitle")
        self.status = QLabel(
            "This takes about 20 seconds. The server keeps its data in "
            f"{log_path.parent}, and stops when the app quits."
        )
        self.status.setObjectName("localStartStatus")
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setObjectName("localStartBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.problem = QLabel()
        self.problem.setObjectName("localStartProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setStyleSheet(BANNER_STYLE)
        self.problem.hide()
        self.command = QLineEdit()
        self.command.setObjectName("localCommand")
        self.command.setReadOnly(True)
        self.command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command.hide()
        self.copy_command = QPushButton("Copy command")
        self.copy_command.setObjectName("localCopyCommand")
        self.copy_command.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.command.text())
        )
        self.copy_command.hide()
        self.choose = QPushButton("Choose the skyvern program…")
        self.choose.setObjectName("localChooseProgram")
        self.choose.clicked.connect(self.choose_program)
        self.choose.hide()
        self.log = _log_view("localStartLog")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("localStartCancel")
        self.cancel_button.clicked.connect(self._cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_command)
        buttons.addWidget(self.choose)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addWidget(self.problem)
        layout.addWidget(self.command)
        layout.addWidget(QLabel("Server log:"))
        layout.addWidget(self.log, 1)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setObjectName("localStartLogTimer")
        self._timer.setInterval(LOG_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_log)
        self._timer.start()
        self.refresh_log()

    def refresh_log(self) -> None:
        _show_text(self.log, read_tail(self.log_path))

    def done(self, result: int) -> None:
        """However it closes (started, cancelled, failed), it stops reading the log."""
        self._timer.stop()
        super().done(result)

    def _cancel(self) -> None:
        if self.busy.isVisible():
            self.cancel_requested = True
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling: stopping what was started…")
        else:
            self.reject()

    def reject(self) -> None:
        if self.busy.isVisible():  # closing the window while starting is a Cancel
            self._cancel()
            return
        super().reject()

    def finish_cancelled(self) -> None:
        """The start was called off and cleaned up: close for good."""
        self._timer.stop()
        self.busy.hide()
        QDialog.reject(self)

    def _stopped(self, title: str) -> None:
        self._timer.stop()
        self.refresh_log()
        self.busy.hide()
        self.title.setText(f"<b>{title}</b>")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Close")

    def show_failure(self, message: str) -> None:
        self._stopped("The local Skyvern server did not start")
        self.status.setText("Nothing was left running.")
        self.problem.setText(message)
        self.problem.show()

    def show_missing(self, message: str, command: str) -> None:
        """Nothing to start: the command that installs Skyvern, and a way to point at one
        installed elsewhere."""
        self._stopped("The Skyvern server is not installed")
        self.status.setText(
            "Run this command in a terminal (it installs about 2.2 GB and takes a few"
            " minutes), or choose a skyvern program installed elsewhere."
        )
        self.problem.setText(message)
        self.problem.show()
        self.command.setText(command)
        self.command.show()
        self.copy_command.show()
        self.choose.show()


class LogViewer(QDialog):
    """The server's log, following it as it grows."""

    def __init__(self, log_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("localLogViewer")
        self.setWindowTitle("Local Skyvern server — log")
        self.resize(900, 560)
        self.log_path = log_path
        self.view = _log_view("localLogView")
        path = QLabel(str(log_path))
        path.setObjectName("localLogPath")
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_folder = QPushButton("Open the folder")
        open_folder.setObjectName("localLogOpenFolder")
        open_folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_path.parent)))
        )
        close = QPushButton("Close")
        close.setObjectName("localLogClose")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(path, 1)
        row.addWidget(open_folder)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        _show_text(self.view, read_tail(self.log_path) or "(the server has written nothing yet)")


class CommandDialog(QDialog):
    """Runs one command (installing the browser) and shows its output as it comes.

    The command is a ``QProcess``: its output and its end arrive as signals on the event
    loop, so nothing ever waits on the UI thread. Stop asks it to end, gives it
    ``stop_grace_ms`` and then kills it; the window closes once it has ended."""

    stop_grace_ms = 5_000

    def __init__(
        self,
        title: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("localCommandDialog")
        self._env = env or {}
        self.setWindowTitle(title)
        self.resize(820, 480)
        self.command = command
        self.exit_code: int | None = None
        self._closing = False
        self.status = QLabel(f"<b>{title}…</b>")
        self.status.setObjectName("localCommandStatus")
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.output = _log_view("localCommandOutput")
        self.output.setPlainText(f"$ {' '.join(command)}")
        self.close_button = QPushButton("Stop")
        self.close_button.setObjectName("localCommandClose")
        self.close_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.busy)
        layout.addWidget(self.output, 1)
        layout.addLayout(row)
        self._process = QProcess(self)
        self._process.setObjectName("localCommandProcess")
        self._process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self._process.readyReadStandardOutput.connect(self._read)
        self._process.finished.connect(self._on_finished)
        self._process.errorOccurred.connect(self._on_error)
        self._pending = ""  # the start of a line whose end has not arrived yet

    @property
    def running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def start(self) -> None:
        environment = QProcessEnvironment()
        from ...core.server.runtime import child_environ

        for key, value in {**child_environ(), **self._env}.items():
            environment.insert(key, value)
        self._process.setProcessEnvironment(environment)
        self._process.setStandardInputFile(QProcess.nullDevice())
        self._process.start(self.command[0], self.command[1:])

    def _read(self) -> None:
        data = bytes(self._process.readAllStandardOutput().data())
        text = self._pending + data.decode("utf-8", "replace")
        lines = text.split("\n")
        self._pending = lines.pop()
        bar = self.output.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        for line in lines:
            self.output.appendPlainText(line.rstrip("\r"))
        if at_end:
            bar.setValue(bar.maximum())

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error is QProcess.ProcessError.FailedToStart:
            self._finish(-1, f"The command could not start: {self._process.errorString()}.")

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        if self._pending:
            self.output.appendPlainText(self._pending)
            self._pending = ""
        if self._closing:
            self._finish(code, "Stopped.")
            super().reject()
            return
        if status is QProcess.ExitStatus.CrashExit:
            self._finish(code or -1, "It stopped unexpectedly.")
        else:
            self._finish(code, "Done." if code == 0 else f"It failed (exit code {code}).")

    def _finish(self, code: int, message: str) -> None:
        if code != 0:
            self.output.appendPlainText(message)
        self.exit_code = code
        self.busy.hide()
        self.status.setText(f"<b>{message}</b>")
        self.close_button.setText("Close")
        self.close_button.setEnabled(True)

    def reject(self) -> None:
        """Close; a command still running is stopped first (the window closes once it has
        ended, without waiting on the UI thread)."""
        if not self.running:
            super().reject()
            return
        if self._closing:
            return
        self._closing = True
        self.status.setText("<b>Stopping…</b>")
        self.close_button.setEnabled(False)
        self._process.terminate()
        QTimer.singleShot(self.stop_grace_ms, self._kill_if_running)

    def _kill_if_running(self) -> None:
        if self.running:
            self._process.kill()
