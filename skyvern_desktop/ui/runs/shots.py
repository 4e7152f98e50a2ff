"""A run pane's screenshots: thumbnails, newest first, loaded as they appear.

While a run goes on the pane hands this tab the run's screenshot addresses every few
seconds; only the new ones are fetched, and decoded off the loop's thread. Only thumbnails
are kept, and the newest picture at full size (the Overview shows it), so memory stays
bounded however many screenshots a run has. Double-click one to see it large (read again)
and save it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from ...api.errors import SkyvernError
from ..dialogs import ask_save_path

THUMB = QSize(240, 135)
Fetch = Callable[[str], Awaitable[bytes]]
Spawn = Callable[[str, Any], object]


def _decode(data: bytes) -> tuple[QImage, QImage] | None:
    """The picture and its thumbnail (off the loop's thread: QImage is safe there)."""
    image = QImage.fromData(data)
    if image.isNull():
        return None
    thumb = image.scaled(
        THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    return image, thumb


class ScreenshotsTab(QWidget):
    def __init__(
        self, fetch: Fetch, spawn: Spawn | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._spawn = spawn
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
        self._cache: dict[str, QPixmap | str] = {}  # a thumbnail, or why it could not be read
        self._newest: tuple[str, QPixmap] | None = None  # the newest read, at full size

    @property
    def count(self) -> int:
        return sum(1 for u in self.urls if isinstance(self._cache.get(u), QPixmap))

    def newest(self) -> QPixmap | None:
        """The newest screenshot that could be read, at full size."""
        for url in self.urls:
            if isinstance(self._cache.get(url), QPixmap):
                if self._newest is not None and self._newest[0] == url:
                    return self._newest[1]
                return None  # read, but a newer one failed: not kept at full size
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
            decoded = await asyncio.to_thread(_decode, data)
            if decoded is None:
                self._cache[url] = "Not a picture"
                continue
            image, thumb = decoded
            self._cache[url] = QPixmap.fromImage(thumb)
            newest_read = next((u for u in urls if isinstance(self._cache.get(u), QPixmap)), None)
            if url == newest_read:
                self._newest = (url, QPixmap.fromImage(image))
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
                item = QStandardItem(QIcon(shot), "")
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
        if url is None or not isinstance(self._cache.get(url), QPixmap):
            return
        if self._newest is not None and self._newest[0] == url:
            self._show_large(url, self._newest[1])
        elif self._spawn is not None:  # only thumbnails are kept: read it again
            self._spawn("pane.screenshot", self._read_large(url))

    async def _read_large(self, url: str) -> None:
        try:
            decoded = await asyncio.to_thread(_decode, await self._fetch(url))
        except (SkyvernError, OSError) as exc:
            self.note.setText(f"The screenshot could not be read again: {exc}")
            return
        if decoded is not None:
            self._show_large(url, QPixmap.fromImage(decoded[0]))

    def _show_large(self, url: str, shot: QPixmap) -> None:
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
