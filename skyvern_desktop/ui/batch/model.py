"""The batch's row table: before the start, a preview whose input cells can be edited and
whose problems sit on their cells; while it runs, each row's status, run, duration,
failure reason and output."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from ...core.batch.rows import (
    STATE_LABELS,
    BatchRow,
    Bucket,
    RowState,
    bucket,
    output_columns,
    output_text,
)
from ...core.forms.params import FieldSpec
from ..format import seconds_text, status_color, status_label

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
_PROBLEM_BG = QColor("#ffebe9")
_FIXED = ("#", "Status")
_RESULTS = ("Title", "Run", "Duration", "Failure reason")


class BatchRowsModel(QAbstractTableModel):
    """Rows of one batch. ``texts`` (the preview) holds each row's input texts, which the
    operator may edit; ``on_edit(row, key, text)`` is told of an edit."""

    def __init__(self, specs: list[FieldSpec], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.specs = specs
        self.rows: list[BatchRow] = []
        self.texts: list[dict[str, str]] | None = None
        self.outputs: list[str] = []
        self.on_edit: Callable[[int, str, str], None] | None = None
        self.texts_of: Callable[[BatchRow], dict[str, str]] | None = None
        """While running: a row's input texts as its cells gave them (for a skipped row)."""

    # ------------------------------------------------------------------ contents

    def set_rows(self, rows: list[BatchRow], texts: list[dict[str, str]] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.texts = texts
        self.outputs = output_columns(rows)
        self.endResetModel()

    def rows_changed(self, indices: list[int]) -> None:
        """Rows changed state; a new output key adds its column."""
        outputs = output_columns([self.rows[i] for i in indices if i < len(self.rows)])
        if any(k not in self.outputs for k in outputs):
            self.set_rows(self.rows, self.texts)
            return
        last = self.columnCount() - 1
        for i in indices:
            if 0 <= i < len(self.rows):
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))

    @property
    def first_input_column(self) -> int:
        return len(_FIXED)

    def column_of(self, key: str) -> int:
        return len(_FIXED) + [s.key for s in self.specs].index(key)

    # ------------------------------------------------------------------ Qt

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(_FIXED) + len(self.specs) + len(_RESULTS) + len(self.outputs)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        name = self._column_name(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == Qt.ItemDataRole.ToolTipRole:
            spec = self._spec(section)
            if spec is not None:
                return (
                    f"Input {spec.key} ({spec.kind_label}){' · required' if spec.required else ''}"
                )
        return None

    def _column_name(self, section: int) -> str:
        if section < len(_FIXED):
            return _FIXED[section]
        section -= len(_FIXED)
        if section < len(self.specs):
            return self.specs[section].label
        section -= len(self.specs)
        if section < len(_RESULTS):
            return _RESULTS[section]
        return f"Output: {self.outputs[section - len(_RESULTS)]}"

    def _spec(self, column: int) -> FieldSpec | None:
        i = column - len(_FIXED)
        return self.specs[i] if 0 <= i < len(self.specs) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        spec = self._spec(index.column())
        row = self.rows[index.row()] if index.isValid() else None
        if spec is not None and self.texts is not None and row is not None:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        spec = self._spec(index.column())
        if spec is None or self.texts is None or role != Qt.ItemDataRole.EditRole:
            return False
        text = str(value)
        self.texts[index.row()][spec.key] = text
        if self.on_edit is not None:
            self.on_edit(index.row(), spec.key, text)
        self.rows_changed([index.row()])
        return True

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        spec = self._spec(column)
        if spec is not None:
            return self._input(row, index.row(), spec, role)
        if column == 0:
            return row.index + 1 if role == Qt.ItemDataRole.DisplayRole else None
        if column == 1:
            return self._status(row, role)
        results = column - len(_FIXED) - len(self.specs)
        if role == Qt.ItemDataRole.ToolTipRole and results == 3:
            return row.failure_reason or None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if results == 0:
            return row.title
        if results == 1:
            return row.run_id or ""
        if results == 2:
            if row.state is RowState.RUNNING and row.started_at is not None:
                return seconds_text(time.time() - row.started_at)
            return seconds_text(row.duration)
        if results == 3:
            return (row.failure_reason or "").splitlines()[0] if row.failure_reason else ""
        key = self.outputs[results - len(_RESULTS)]
        value = row.output.get(key) if isinstance(row.output, dict) else None
        return output_text(value)[:300]

    def _input(self, row: BatchRow, number: int, spec: FieldSpec, role: int) -> Any:
        error = row.errors.get(spec.key)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if self.texts is not None:
                return self.texts[number].get(spec.key, "")
            value = row.params.get(spec.key)
            if value is None and error and self.texts_of is not None:
                return self.texts_of(row).get(spec.key, "")
            return "" if value is None else spec.format(value).replace("\n", " ")
        if role == Qt.ItemDataRole.ToolTipRole:
            return error
        if role == Qt.ItemDataRole.BackgroundRole and error:
            return QBrush(_PROBLEM_BG)
        if role == Qt.ItemDataRole.ForegroundRole and error:
            return QBrush(QColor("#cf222e"))
        return None

    def _status(self, row: BatchRow, role: int) -> Any:
        if self.texts is not None:  # the preview
            n = len(row.errors)
            text = "Ready" if not n else ("1 problem" if n == 1 else f"{n} problems")
            if role == Qt.ItemDataRole.DisplayRole:
                return text
            if role == Qt.ItemDataRole.ToolTipRole and n:
                return "\n".join(row.errors.values())
            if role == Qt.ItemDataRole.ForegroundRole and n:
                return QBrush(QColor("#cf222e"))
            return None
        started = row.state in (RowState.RUNNING, RowState.DONE) and row.status
        if role == Qt.ItemDataRole.DisplayRole:
            return status_label(row.status or "") if started else STATE_LABELS[row.state]
        if role == Qt.ItemDataRole.ForegroundRole:
            if started:
                color = status_color(row.status or "")
                return QBrush(color) if color else None
            if row.state in (RowState.MAYBE, RowState.REFUSED):
                return QBrush(QColor("#bc4c00" if row.state is RowState.MAYBE else "#cf222e"))
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.state is RowState.MAYBE:
                return (
                    "Its request may have reached the server: the answer was lost. It is not"
                    " sent again by itself. Select it and choose Find its run, Start again or"
                    " Skip."
                )
            if row.errors:
                return "\n".join(row.errors.values())
        return None


class BucketFilter(QSortFilterProxyModel):
    """Shows the rows of one progress bucket (or all)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bucket: Bucket | None = None

    def set_bucket(self, value: Bucket | None) -> None:
        self.bucket = value
        self.refilter()

    def refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self.bucket is None:
            return True
        model = self.sourceModel()
        row = model.index(source_row, 0, source_parent).data(ROW_ROLE)
        return isinstance(row, BatchRow) and bucket(row) is self.bucket
