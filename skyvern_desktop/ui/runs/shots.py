"""A run pane's screenshots: thumbnails, newest first, loaded as they appear.

While a run goes on the pane hands this tab the run's screenshot addresses every few
seconds; only the new ones are fetched. Double-click one to see it large and save it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from ...api.errors import SkyvernError
from ..dialogs import ask_save_path

THUMB = QSize(240, 135)
Fetch = Callable[[str], Awaitable[bytes]]


class ScreenshotsTab(QWidget):
    def __init__(self, fetch: Fetch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setObjectName("runScreenshots")
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(THUMB)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setModel(self.model)
        self.view.doubleClicked.connect(lambda i: self._enlarge(i.row()))
        self.note = QLabel("Screenshots appear here as the run takes them.")
        self.note.setObjectName("runScreenshotsNote")
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        self.urls: list[str] = []
        self._cache: dict[str, QPixmap | str] = {}  # a picture, or why it could not be read

    @property
    def count(self) -> int:
        return sum(1 for u in self.urls if isinstance(self._cache.get(u), QPixmap))

    def newest(self) -> QPixmap | None:
        """The newest screenshot that could be read."""
        for url in self.urls:
            shot = self._cache.get(url)
            if isinstance(shot, QPixmap):
                return shot
        return None

    async def load(self, urls: list[str], *, final: bool) -> bool:
        """Show ``urls`` (newest first), fetching only those not yet read. ``True`` when
        the list changed."""
        changed = urls != self.urls
        for url in urls:
            if url in self._cache:
                continue
            try:
                data = await self._fetch(url)
            except (SkyvernError, OSError) as exc:
                self._cache[url] = f"Not loaded: {exc}"
                continue
            pixmap = QPixmap()
            pixmap.loadFromData(data)
            self._cache[url] = pixmap
        if changed or not self.model.rowCount():
            self.urls = list(urls)
            self._rebuild()
        self._say(final)
        return changed

    def _rebuild(self) -> None:
        self.model.clear()
        for url in self.urls:
            shot = self._cache.get(url)
            if isinstance(shot, QPixmap):
                item = QStandardItem(
                    QIcon(shot.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)), ""
                )
                item.setToolTip(url)
            else:  # rows and pictures stay aligned: this row says why
                item = QStandardItem(shot or "Not loaded")
            item.setEditable(False)
            self.model.appendRow(item)

    def _say(self, final: bool) -> None:
        if not self.urls:
            self.note.setText(
                "This run has no screenshots."
                if final
                else "No screenshots yet: they appear here as the run takes them."
            )
            return
        n = len(self.urls)
        self.note.setText(
            f"{n} screenshot{'s' if n != 1 else ''}, newest first. Double-click one to enlarge it."
        )

    def _enlarge(self, row: int) -> None:
        url = self.urls[row] if 0 <= row < len(self.urls) else None
        shot = self._cache.get(url) if url else None
        if url is None or not isinstance(shot, QPixmap):
            return
        dialog = QDialog(self)
        dialog.setObjectName("runScreenshotDialog")
        dialog.setWindowTitle("Screenshot")
        label = QLabel()
        label.setPixmap(shot.scaled(QSize(1280, 720), Qt.AspectRatioMode.KeepAspectRatio))
        save = QPushButton("Save…")
        name = Path(urlparse(url).path).name or "screenshot.png"
        save.clicked.connect(
            lambda: ask_save_path(self, "Save screenshot", name, lambda target: shot.save(target))
        )
        layout = QVBoxLayout(dialog)
        layout.addWidget(label)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignRight)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
