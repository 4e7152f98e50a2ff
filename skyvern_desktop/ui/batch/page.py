"""The Batches screen: the batches kept on this computer for the server, and the one
shown (a new batch being set up, or a batch running or done)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..changes import Change

EMPTY_TEXT = (
    "A batch runs one workflow once for every row of a spreadsheet.\n\n"
    "On the Workflows screen, select a workflow and press “Run a spreadsheet…”."
)


class BatchesPage(QWidget):
    """``batch_selected(batch_id)`` when a batch of the list is chosen."""

    batch_selected = Signal(str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batchesPage")
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(8, 8, 0, 8)
        heading = QLabel("<b>Batches</b>")
        left_box.addWidget(heading)
        self.list = QListWidget()
        self.list.setObjectName("batchList")
        self.list.setAccessibleName("Batches")
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._on_current)
        left_box.addWidget(self.list, 1)
        split.addWidget(left)
        self.stack = QStackedWidget()
        self.stack.setObjectName("batchStack")
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("batchEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.empty)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 1000])
        split.setObjectName("batchSplitter")
        self.splitter = split
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(split)

    # ------------------------------------------------------------------ as a screen

    def refresh(self) -> None:
        self.refresh_requested.emit()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("batches/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        splitter = settings.value("batches/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def on_change(self, change: Change) -> None:
        """Batches change through their owner, which shows them here."""

    def set_batches(self, items: list[tuple[str, str, str]]) -> None:
        """``(batch_id, text, tooltip)`` newest first; the selection stays."""
        current = self.current_batch()
        self.list.blockSignals(True)
        self.list.clear()
        for batch_id, text, tip in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, batch_id)
            item.setToolTip(tip)
            self.list.addItem(item)
            if batch_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def current_batch(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, batch_id: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == batch_id:
                self.list.blockSignals(True)
                self.list.setCurrentItem(item)
                self.list.blockSignals(False)

    def _on_current(self, item: QListWidgetItem | None, _old: object) -> None:
        if item is not None:
            self.batch_selected.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def show_widget(self, widget: QWidget) -> None:
        if self.stack.indexOf(widget) < 0:
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)

    def remove_widget(self, widget: QWidget) -> None:
        self.stack.removeWidget(widget)
        if self.stack.currentWidget() is None or self.stack.count() == 1:
            self.stack.setCurrentWidget(self.empty)
