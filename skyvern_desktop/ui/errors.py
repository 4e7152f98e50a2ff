"""Errors are never silent: every one is logged and told to the user in plain words.

``ErrorReporter.report`` is where every surfaced error goes: task failures (through
``TaskRunner``), uncaught exceptions (``sys.excepthook``, which qasync's slots also call)
and asyncio's loop exception handler. It shows one non-blocking dialog at a time, or,
in headless modes, writes one line to stderr.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ..api.errors import SkyvernError
from ..api.secrets import scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    message: str
    details: str
    line: str = ""  # the whole of it as one sentence (stderr, the status bar)


def plain_message(exc: BaseException) -> str:
    """What to tell a person about ``exc``."""
    if isinstance(exc, SkyvernError):
        return str(exc)
    return f"Something went wrong inside Skyvern Desktop: {_inner(exc)}."


def _inner(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).rstrip(".")
    return text if text == type(exc).__name__ else f"{text} ({type(exc).__name__})"


def one_line(title: str, exc: BaseException) -> str:
    """The title and what happened as one sentence, e.g. "Skyvern Desktop hit an
    unexpected problem: file is not a database (DatabaseError)." """
    said = str(exc) if isinstance(exc, SkyvernError) else _inner(exc)
    return f"{title.rstrip('.')}: {said.rstrip('.')}."


HISTORY_SIZE = 100


class ErrorReporter(QObject):
    reported = Signal(object)  # Report

    def __init__(self, log_file: Path, *, headless: bool = False) -> None:
        super().__init__()
        self._log_file = log_file
        self._headless = headless
        self._parent: QWidget | None = None
        self._box: QMessageBox | None = None
        # The latest reports, for tests and a future "recent problems" view; bounded so a
        # failure that repeats for days cannot grow the app's memory.
        self.history: deque[Report] = deque(maxlen=HISTORY_SIZE)

    def set_parent_window(self, window: QWidget | None) -> None:
        self._parent = window

    def report(self, title: str, exc: BaseException) -> Report:
        details = scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        report = Report(
            title=title, message=scrub(plain_message(exc)), details=details,
            line=scrub(one_line(title, exc)),
        )  # fmt: skip
        self.history.append(report)
        self.reported.emit(report)
        if self._headless:
            sys.stderr.write(f"error: {report.line}\n")
        else:
            self._show(report)
        return report

    def _show(self, report: Report) -> None:
        if self._box is not None and self._box.isVisible():
            # One dialog at a time; a burst of failures must not bury the window.
            self._box.setInformativeText(
                self._box.informativeText() + f"\n\nAlso: {report.message}"
            )
            return
        box = QMessageBox(self._parent)
        box.setObjectName("errorDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Skyvern Desktop")
        box.setText(report.title)
        box.setInformativeText(
            f"{report.message}\n\nDetails were written to the log file:\n{self._log_file}"
        )
        box.setDetailedText(report.details)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setAccessibleName("Error")
        self._box = box
        box.open()

    def on_task_error(self, name: str, exc: BaseException) -> None:
        self.report(f"A background job failed ({name}).", exc)

    def excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        exc = exc.with_traceback(tb)
        log.critical("uncaught exception", exc_info=(kind, exc, tb))
        self.report("Skyvern Desktop hit an unexpected problem.", exc)

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        exc = context.get("exception")
        message = context.get("message", "asyncio error")
        if exc is None:
            log.error("event loop: %s", message)
            return
        log.error("event loop: %s", message, exc_info=exc)
        self.report("A background job failed.", exc)


def install_excepthook(reporter: ErrorReporter) -> Callable[[], None]:
    """Route uncaught exceptions to ``reporter``; returns a function that undoes it."""
    previous = sys.excepthook
    sys.excepthook = reporter.excepthook

    def restore() -> None:
        sys.excepthook = previous

    return restore
