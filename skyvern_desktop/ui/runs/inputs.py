"""A run pane's Inputs tab: every input the run got, named and typed as the launcher
shows them, with its value; the selected value in full below (long text and JSON), to
copy, or to open when it is a file. "Rerun with edits…" sits beside them.

It shows what the run's tracker read (:class:`~...core.runs.details.RunDetails`); it
reads nothing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QGuiApplication,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from ...core.runs.details import RunDetails
    from ...core.runs.inputs import InputRow

COLUMNS = ("Input", "Type", "Value", "")
MUTED = "color: palette(placeholder-text);"


class InputsTab(QWidget):
    rerun_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runInputs")
        self.rows: list[InputRow] = []
        self.note = QLabel("Reading the run's inputs…")
        self.note.setObjectName("runInputsNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(MUTED)
        self.model_ = QStandardItemModel(0, len(COLUMNS), self)
        self.model_.setHorizontalHeaderLabels(list(COLUMNS))
        self.table = QTreeView()
        self.table.setObjectName("runInputsTable")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setModel(self.model_)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.value = QPlainTextEdit()
        self.value.setObjectName("runInputValue")
        self.value.setReadOnly(True)
        self.value.setPlaceholderText("Choose an input to see its whole value.")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.value.setFont(mono)
        self.copy = QPushButton("Copy value")
        self.copy.setObjectName("runInputCopy")
        self.copy.clicked.connect(self.copy_value)
        self.open_file = QPushButton("Open file")
        self.open_file.setObjectName("runInputOpen")
        self.open_file.setToolTip("Open this file or address with your computer's usual program")
        self.open_file.clicked.connect(self._open)
        self.rerun = QPushButton("Rerun with edits…")
        self.rerun.setObjectName("runInputsRerun")
        self.rerun.setToolTip("Open the launcher filled with these inputs")
        self.rerun.clicked.connect(self.rerun_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addWidget(self.open_file)
        buttons.addStretch(1)
        buttons.addWidget(self.rerun)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.value, 1)
        lower_layout.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("runInputsSplit")
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self._show_selected()

    def show_details(self, details: RunDetails) -> None:
        current = self.table.currentIndex().row()
        self.rows = list(details.inputs)
        self.model_.removeRows(0, self.model_.rowCount())
        for row in self.rows:
            name = QStandardItem(row.label)
            name.setToolTip(
                f"Key: {row.key}" + ("" if row.known else " (no longer in the workflow)")
            )
            kind = QStandardItem(row.kind)
            value = QStandardItem(row.shown if row.text or row.credential_name else "(empty)")
            if not (row.text or row.credential_name):
                value.setForeground(Qt.GlobalColor.gray)
            value.setToolTip(
                "A credential: its name is shown, never a secret."
                if row.credential_name is not None
                else (row.text[:2000] if row.long else "")
            )
            mark = QStandardItem("default" if row.default else "")
            mark.setForeground(Qt.GlobalColor.gray)
            if row.default:
                mark.setToolTip("The same value as the workflow's default")
            cells = [name, kind, value, mark]
            for cell in cells:
                cell.setEditable(False)
            self.model_.appendRow(cells)
        for col in (0, 1, 3):
            self.table.resizeColumnToContents(col)
        if details.problem:
            self.note.setText(details.problem)
        elif not self.rows:
            self.note.setText("This run got no inputs.")
        else:
            defaults = sum(r.default for r in self.rows)
            self.note.setText(
                f"{len(self.rows)} input{'s' if len(self.rows) != 1 else ''}"
                + (f", {defaults} left at the default" if defaults else "")
                + "."
            )
        if self.rows:
            self.table.setCurrentIndex(
                self.model_.index(max(0, min(current, len(self.rows) - 1)), 0)
            )
        self._show_selected()

    def selected(self) -> InputRow | None:
        row = self.table.currentIndex().row()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.value.setPlainText("")
        elif row.credential_name is not None:
            self.value.setPlainText(
                f"Credential “{row.credential_name}” ({row.text}).\n"
                "The run used this stored login; its password never leaves the server."
            )
        else:
            self.value.setPlainText(row.text)
        self.copy.setEnabled(row is not None and bool(row.text))
        self.open_file.setVisible(row is not None and row.is_file and _web(row.text))

    def copy_value(self) -> None:
        row = self.selected()
        if row is not None and row.text:
            QGuiApplication.clipboard().setText(row.text)

    def _open(self) -> None:
        row = self.selected()
        if row is not None and row.is_file and _web(row.text):
            QDesktopServices.openUrl(QUrl(row.text))


def _web(address: str) -> bool:
    """Only a web address is opened from a run's inputs (a ``file://`` or a network path
    the server was given could start a program here)."""
    return address.lower().startswith(("http://", "https://"))
