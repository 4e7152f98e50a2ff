"""Two runs of one workflow side by side: the inputs that differ, the output as a tree
diff, the steps aligned block by block and action by action with the first place where
they diverge marked, and the two screenshots at that point (or at the row chosen).

It shows the :class:`~...core.runs.compare.Comparison` its owner (the runs owner) made;
it reads only the two screenshots of the row shown, through the ``fetch`` it is given.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QImage, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ...api.errors import SkyvernError
from ...core.runs.compare import Change, Comparison, StepPair, screenshots_at
from ..format import status_label
from ..widgets.frames import FrameView

Fetch = Callable[[str], Awaitable[bytes]]
Spawn = Callable[[str, Any], object]
DIVERGED = QColor("#fff1b8")
CHANGE_COLORS = {
    Change.CHANGED: QColor("#9a6700"),
    Change.ONLY_A: QColor("#cf222e"),
    Change.ONLY_B: QColor("#1a7f37"),
}
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


def _short(value: Any, limit: int = 160) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(name: str, headers: list[str]) -> tuple[QTreeView, QStandardItemModel]:
    view = QTreeView()
    view.setObjectName(name)
    view.setRootIsDecorated(False)
    view.setAlternatingRowColors(True)
    view.setUniformRowHeights(True)
    model = QStandardItemModel(0, len(headers), view)
    model.setHorizontalHeaderLabels(headers)
    view.setModel(model)
    view.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.header().setStretchLastSection(True)
    return view, model


def _row(*texts: str) -> list[QStandardItem]:
    cells = [QStandardItem(t) for t in texts]
    for cell in cells:
        cell.setEditable(False)
        cell.setToolTip(cell.text() if len(cell.text()) > 40 else "")
    return cells


def step_text(pair: StepPair, side: str) -> str:
    if pair.is_block:
        status = pair.block_status[0 if side == "a" else 1]
        return f"{pair.block}: {status_label(status)}" if status else "(not run)"
    step = pair.step_a if side == "a" else pair.step_b
    if step is None:
        return "—"
    return f"{step.number}. {step.words}"


class CompareView(QWidget):
    """A window of its own, opened by the runs owner."""

    def __init__(
        self, comparison: Comparison, fetch: Fetch, spawn: Spawn, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareRuns")
        self.comparison = comparison
        self._fetch = fetch
        self._spawn = spawn
        a, b = comparison.a, comparison.b
        self.setWindowTitle(f"Compare runs {a.run_id} and {b.run_id}")
        self.heading = QLabel(
            f"<b>A</b> {a.run_id} · {status_label(a.status)} &nbsp;&nbsp;"
            f"<b>B</b> {b.run_id} · {status_label(b.status)}"
        )
        self.heading.setObjectName("compareHeading")
        self.summary = QLabel()
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)

        self.inputs, self.inputs_model = _table("compareInputs", ["Input", "Run A", "Run B"])
        for diff in comparison.inputs:
            self.inputs_model.appendRow(_row(diff.label, diff.a or "—", diff.b or "—"))
        self.output, self.output_model = _table("compareOutput", ["Where", "Run A", "Run B"])
        for out in comparison.output:
            cells = _row(out.path, _short(out.a), _short(out.b))
            cells[0].setForeground(QBrush(CHANGE_COLORS.get(out.change, QColor("black"))))
            self.output_model.appendRow(cells)
        self.steps, self.steps_model = _table("compareSteps", ["", "Run A", "Run B"])
        for i, pair in enumerate(comparison.steps):
            mark = "" if pair.change is Change.SAME else "≠"
            cells = _row(mark, step_text(pair, "a"), step_text(pair, "b"))
            cells[0].setData(i, ROW_ROLE)
            if pair.is_block:
                for cell in cells:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
            if pair.change is not Change.SAME:
                cells[0].setForeground(QBrush(CHANGE_COLORS[pair.change]))
            if i == comparison.diverges_at:
                cells[0].setText("▶ first difference")
                for cell in cells:
                    cell.setBackground(QBrush(DIVERGED))
            self.steps_model.appendRow(cells)
        self.steps.header().resizeSection(0, 130)
        self.steps.header().resizeSection(1, 240)
        self.steps.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.show_row(cur.row())
        )

        self.picture_a = FrameView("comparePictureA")
        self.picture_b = FrameView("comparePictureB")
        self.picture_note = QLabel()
        self.picture_note.setObjectName("comparePictureNote")
        pictures = QGroupBox("The two browsers at the chosen step")
        pictures.setObjectName("comparePictures")
        pictures_row = QHBoxLayout()
        for label, frame in (("A", self.picture_a), ("B", self.picture_b)):
            box = QVBoxLayout()
            box.addWidget(QLabel(f"<b>Run {label}</b>"))
            box.addWidget(frame, 1)
            pictures_row.addLayout(box, 1)
        pictures_layout = QVBoxLayout(pictures)
        pictures_layout.addLayout(pictures_row, 1)
        pictures_layout.addWidget(self.picture_note)

        top = QSplitter(Qt.Orientation.Horizontal)
        same_inputs = "" if comparison.inputs else "The two runs got the same inputs."
        same_output = "" if comparison.output else "The two outputs are the same."
        top.addWidget(_group("Inputs that differ", self.inputs, "compareInputsBox", same_inputs))
        top.addWidget(_group("Output", self.output, "compareOutputBox", same_output))
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(_group("Steps, aligned", self.steps, "compareStepsBox", ""))
        bottom.addWidget(pictures)
        bottom.setSizes([620, 640])  # the steps, and the two pictures
        split = QSplitter(Qt.Orientation.Vertical)
        split.setObjectName("compareSplit")
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([230, 520])
        for view in (self.inputs, self.output):
            view.resizeColumnToContents(0)
            view.header().resizeSection(0, min(max(view.header().sectionSize(0), 120), 300))
            view.header().resizeSection(1, 220)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        self.resize(1280, 800)
        self._say()
        start = comparison.diverges_at if comparison.diverges_at is not None else 0
        if comparison.steps:
            self.steps.setCurrentIndex(self.steps_model.index(start, 0))
            self.steps.scrollTo(self.steps_model.index(start, 0))

    def _say(self) -> None:
        c = self.comparison
        parts = []
        n = len(c.inputs)
        parts.append(f"{n} input{'s differ' if n != 1 else ' differs'}" if n else "Same inputs")
        k = len(c.output)
        parts.append(f"{k} difference{'s' if k != 1 else ''} in the output" if k else "same output")
        pair = c.divergence
        if pair is None:
            parts.append("the steps are the same")
        else:
            where = (
                "its status"
                if pair.is_block
                else f"“{step_text(pair, 'a')}” against “{step_text(pair, 'b')}”"
            )
            parts.append(f"the steps first differ in block “{pair.block}”: {where}")
        self.summary.setText("; ".join(parts) + ".")

    def show_row(self, row: int) -> None:
        if not 0 <= row < len(self.comparison.steps):
            return
        shot_a, shot_b = screenshots_at(self.comparison, row)
        a_id, b_id = self.comparison.a.run_id, self.comparison.b.run_id
        self.picture_note.setText(
            "At the first difference." if row == self.comparison.diverges_at
            else "At the step chosen on the left."
        )  # fmt: skip
        for frame, shot in ((self.picture_a, shot_a), (self.picture_b, shot_b)):
            frame.set_image(None)
            frame.set_text("Loading…" if shot else "No screenshot up to this step.")
        # Each window reads its own pictures: another window's choice does not cancel them.
        self._spawn(f"runs.compare.pictures.{a_id}.{b_id}", self._load(row, shot_a, shot_b))

    async def _load(self, row: int, shot_a: str | None, shot_b: str | None) -> None:
        for frame, shot in ((self.picture_a, shot_a), (self.picture_b, shot_b)):
            if shot is None:
                continue
            try:
                data = await self._fetch(shot)
            except SkyvernError as exc:
                if isValid(frame):
                    frame.set_text(f"The screenshot could not be read: {exc}")
                continue
            image = await asyncio.to_thread(QImage.fromData, data)
            if not isValid(self) or not isValid(frame):
                return  # the window was closed meanwhile
            if self.steps.currentIndex().row() != row:
                return
            frame.set_image(None if image.isNull() else image)
            frame.set_text("" if not image.isNull() else "Not a picture.")


def _group(title: str, view: QWidget, name: str, empty: str) -> QGroupBox:
    box = QGroupBox(title)
    box.setObjectName(name)
    layout = QVBoxLayout(box)
    if empty:
        note = QLabel(empty)
        note.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(note)
        view.hide()
    layout.addWidget(view, 1)
    return box
