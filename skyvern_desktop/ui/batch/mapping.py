"""Where each workflow input takes its value in a batch: a column of the spreadsheet, one
fixed value for every row, or the input's default. One row per input; the choice is
changed by hand and said back as ``source_changed(key, source)``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QWidget,
)

from ...core.batch.rows import InputSource, Mapping, SourceKind
from ...core.forms.params import FieldSpec

_FIXED, _DEFAULT = "__fixed__", "__default__"


class MappingTable(QTableWidget):
    source_changed = Signal(str, object)  # input key, InputSource

    def __init__(self, specs: list[FieldSpec], parent: QWidget | None = None) -> None:
        super().__init__(len(specs), 3, parent)
        self.specs = specs
        self.setObjectName("batchMapping")
        self.setHorizontalHeaderLabels(["Input", "Takes", "Value"])
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._combos: dict[str, QComboBox] = {}
        self._fixed: dict[str, QLineEdit] = {}
        for i, spec in enumerate(specs):
            label = QLabel(f"{spec.label}{' *' if spec.required else ''}")
            label.setToolTip(f"{spec.key} · {spec.kind_label}\n{spec.description or ''}".strip())
            label.setContentsMargins(4, 0, 4, 0)
            self.setCellWidget(i, 0, label)
            combo = QComboBox()
            combo.setObjectName(f"batchMap_{spec.key}")
            combo.setAccessibleName(f"Where {spec.label} comes from")
            combo.activated.connect(lambda _i, k=spec.key: self._on_source(k))
            self.setCellWidget(i, 1, combo)
            fixed = QLineEdit()
            fixed.setObjectName(f"batchFixed_{spec.key}")
            fixed.setAccessibleName(f"{spec.label} for every row")
            fixed.setPlaceholderText(spec.initial_text() or "")
            fixed.editingFinished.connect(lambda k=spec.key: self._on_source(k))
            self.setCellWidget(i, 2, fixed)
            self._combos[spec.key] = combo
            self._fixed[spec.key] = fixed
        self.setMinimumHeight(min(320, 34 * (len(specs) + 1)))

    def set_columns(self, headers: tuple[str, ...], mapping: Mapping) -> None:
        """The spreadsheet's columns to choose from, and each input's current source."""
        for spec in self.specs:
            combo = self._combos[spec.key]
            combo.clear()
            for header in headers:
                combo.addItem(f"Column “{header}”", header)
            combo.addItem("A fixed value", _FIXED)
            default = spec.initial_text()
            combo.addItem(f"Its default ({default})" if default else "Its default", _DEFAULT)
            self._show(spec.key, mapping.get(spec.key, InputSource(SourceKind.DEFAULT)))
            self._fixed[spec.key].setEnabled(combo.currentData() == _FIXED)

    def set_source(self, key: str, source: InputSource) -> None:
        """Choose where one input comes from, as a click in its row would."""
        self._show(key, source)
        self._on_source(key)

    def _show(self, key: str, source: InputSource) -> None:
        """The input's row shows ``source`` (a fixed value in its field)."""
        combo = self._combos[key]
        data = {SourceKind.COLUMN: source.value, SourceKind.FIXED: _FIXED}.get(
            source.kind, _DEFAULT
        )
        combo.setCurrentIndex(combo.findData(data))
        if source.kind is SourceKind.FIXED:
            self._fixed[key].setText(source.value)

    def _on_source(self, key: str) -> None:
        data = self._combos[key].currentData()
        fixed = self._fixed[key]
        fixed.setEnabled(data == _FIXED)
        if data == _FIXED:
            source = InputSource(SourceKind.FIXED, fixed.text())
        elif data == _DEFAULT or data is None:
            source = InputSource(SourceKind.DEFAULT)
        else:
            source = InputSource(SourceKind.COLUMN, str(data))
        self.source_changed.emit(key, source)
