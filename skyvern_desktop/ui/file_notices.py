"""Saying what happened to the app's files (``core.storage.notices``) once, in the window.

A notice can come from any thread (the log handler) and before the window exists (the
files opened at start), so it crosses into the window's thread by a queued signal and is
held until the window asks for it. Trouble (a file set aside, a disk that refuses writes)
is one non-modal box, with later notices added to it while it is open; "kept again" is a
passing line in the status bar. Headless modes write one line to stderr each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.storage.files import set_aside
from ..core.storage.notices import FileNotice, Notices, Trouble


class FileNoticeTeller(QObject):
    _arrived = Signal(object)  # FileNotice, from any thread

    def __init__(self, notices: Notices, *, headless: bool = False) -> None:
        super().__init__()
        self._headless = headless
        self._window: QWidget | None = None
        self._message: Callable[[str], None] | None = None
        self._held: list[FileNotice] = []
        self.box: QMessageBox | None = None
        self.told: list[FileNotice] = []
        self._arrived.connect(self._on_notice, Qt.ConnectionType.QueuedConnection)
        self._unlisten = notices.listen(self._arrived.emit)

    def close(self) -> None:
        self._unlisten()

    def attach(self, window: QWidget, message: Callable[[str], None]) -> None:
        """Say what is held, and from now on say each notice as it comes."""
        self._window, self._message = window, message
        held, self._held = self._held, []
        for notice in held:
            self._tell(notice)

    def _on_notice(self, notice: FileNotice) -> None:
        if self._headless:
            self.told.append(notice)
            sys.stderr.write(f"note: {notice.sentence()}\n")
        elif self._window is None:
            self._held.append(notice)
        else:
            self._tell(notice)

    def _tell(self, notice: FileNotice) -> None:
        self.told.append(notice)
        if notice.trouble is Trouble.KEPT_AGAIN:
            if self._message is not None:
                self._message(notice.sentence())
            return
        if self.box is not None and self.box.isVisible():
            self.box.setInformativeText(f"{self.box.informativeText()}\n\n{notice.sentence()}")
            return
        box = QMessageBox(self._window)
        box.setObjectName("fileNoticeDialog")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Skyvern Desktop")
        box.setText("Some of the app's files could not be used as they were.")
        box.setInformativeText(notice.sentence())
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAccessibleName("About the app's files")
        self.box = box
        box.open()


_LAYOUT = "the window's layout"


def open_settings(path: Path, notices: Notices) -> QSettings:
    """The window's state (``window-state.ini``). One that Qt cannot read is set aside and
    a new one started; one that cannot be written is said once (the state is then kept for
    this session only)."""
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    if settings.status() is QSettings.Status.FormatError or not _looks_like_ini(path):
        settings = None  # type: ignore[assignment]  # let Qt close it before the rename
        kept_as = set_aside(path)
        notices.add(
            FileNotice(
                Trouble.SET_ASIDE,
                _LAYOUT,
                path,
                kept_as,
                "not a settings file",
                "The window opens at its usual size.",
            )
        )
        settings = QSettings(str(path), QSettings.Format.IniFormat)
    return settings


def _looks_like_ini(path: Path) -> bool:
    """Qt reads any bytes as settings (and would write them back); a file that is not
    text, or whose first line is neither a [section] nor a key, is not ours."""
    try:
        head = path.read_bytes()[:4096]
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not head.strip():
        return True
    if len(head) == 4096 and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # never a character cut in two
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    first = text.lstrip().splitlines()[0]
    return "\x00" not in text and (first.startswith("[") or "=" in first)
