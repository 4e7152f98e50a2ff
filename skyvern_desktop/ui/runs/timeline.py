"""A run pane's timeline: its blocks (and their children) with status and duration."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTreeView, QWidget

from ..format import duration_text, status_label

if TYPE_CHECKING:
    from ...api.models import TimelineItem

COLUMNS = ("Block", "Type", "Status", "Took")


class TimelineView(QTreeView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runTimeline")
        self.model_ = QStandardItemModel(0, len(COLUMNS), self)
        self.model_.setHorizontalHeaderLabels(list(COLUMNS))
        self.setModel(self.model_)

    def fill(self, items: list[TimelineItem]) -> None:
        self.model_.removeRows(0, self.model_.rowCount())
        for item in items:
            _add(self.model_, item)
        self.expandAll()
        for col in range(len(COLUMNS)):
            self.resizeColumnToContents(col)


def _add(parent: QStandardItem | QStandardItemModel, item: TimelineItem) -> None:
    block = item.block
    if block is None:
        row = [QStandardItem("Thought"), QStandardItem(""), QStandardItem(""), QStandardItem("")]
    else:
        took = duration_text(block.created_at, block.modified_at)
        row = [
            QStandardItem(block.label or ""), QStandardItem(block.block_type or ""),
            QStandardItem(status_label(str(block.status or ""))), QStandardItem(took),
        ]  # fmt: skip
        tip = block.failure_reason or (
            json.dumps(block.output, indent=2)[:2000] if block.output is not None else ""
        )
        for cell in row:
            cell.setToolTip(tip)
    for cell in row:
        cell.setEditable(False)
    parent.appendRow(row)
    for child in item.children:
        _add(row[0], child)
