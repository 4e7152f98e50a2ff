"""A run pane's Steps tab: every block in order, and inside each AI block the actions
the AI took, with its reasoning and the screenshot after each.

- The tree: blocks (label, type, status, duration, the server's description), their
  thoughts (``task_v2``), their actions in words, and what a block extracted.
- Beside it, the selected action: what it did, the element, the text typed (a
  credential's placeholder, never more: the server stores nothing more), the AI's
  reasoning and intention, its status, and its screenshot. A click on the screenshot
  enlarges it; the arrow keys then step through the actions.
- Thumbnails are read only for the rows on screen, decoded off the loop's thread, and at
  most :data:`THUMBS_KEPT` are kept, so memory stays bounded however many actions a run
  has. A hidden tab reads nothing.
- "For developers": the step's raw JSON, and the model's prompt and answer for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPixmap,
    QShowEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ...api.errors import SkyvernError
from ...core.runs.steps import (
    BlockSteps,
    Step,
    all_steps,
    element_name,
    steps_of,
    typed_text,
)
from ..dialogs import open_panel
from ..format import duration_text, status_label
from ..widgets.frames import FrameView

if TYPE_CHECKING:
    from ...api.models import TimelineItem

log = logging.getLogger(__name__)

COLUMNS = ("Step", "Status", "Took")
THUMB = QSize(96, 54)
THUMBS_KEPT = 60
"""Thumbnails kept at most (the rows on screen, and those seen last)."""
PICTURES_KEPT = 3
"""Full-size screenshots kept at most (the selected action's, and the last few)."""
STEP_ROLE = Qt.ItemDataRole.UserRole + 1  # an action row: its index in ``steps``
BLOCK_ROLE = Qt.ItemDataRole.UserRole + 2  # a block row: its index in ``nodes``
MUTED = "color: palette(placeholder-text);"

Fetch = Callable[[str], Awaitable[bytes]]
Spawn = Callable[[str, Any], object]


def _decode(data: bytes, size: QSize | None) -> QImage | None:
    image = QImage.fromData(data)
    if image.isNull():
        return None
    if size is not None:
        return image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


class Pictures:
    """Screenshots by artifact id: read, decoded off the loop, and kept in two bounded
    caches (thumbnails and full pictures), the least recently used dropped first."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self.thumbs: OrderedDict[str, QImage] = OrderedDict()
        self.full: OrderedDict[str, QImage] = OrderedDict()
        self.failed: dict[str, str] = {}
        self.reads = 0

    async def picture(self, artifact_id: str, *, thumb: bool) -> QImage | None:
        cache, cap = (self.thumbs, THUMBS_KEPT) if thumb else (self.full, PICTURES_KEPT)
        if artifact_id in cache:
            cache.move_to_end(artifact_id)
            return cache[artifact_id]
        if artifact_id in self.failed:
            return None
        try:
            self.reads += 1
            data = await self._fetch(artifact_id)
        except (SkyvernError, OSError) as exc:
            self.failed[artifact_id] = str(exc)
            return None
        image = await asyncio.to_thread(_decode, data, THUMB if thumb else None)
        if image is None:
            self.failed[artifact_id] = "not a picture"
            return None
        cache[artifact_id] = image
        while len(cache) > cap:
            cache.popitem(last=False)
        return image


class ClickableFrame(FrameView):
    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.image() is not None:
            self.clicked.emit()
        super().mousePressEvent(event)


class StepsView(QWidget):
    """``changed`` after each new reading of the timeline; ``enlarge(step)`` when a
    screenshot is clicked."""

    changed = Signal()
    enlarge_requested = Signal(int)  # index into ``steps``

    def __init__(
        self, fetch: Fetch, spawn: Spawn, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runStepsTab")
        self._spawn = spawn
        self._task = self.task_prefix = f"pane.thumbs.{name}"
        self.pictures = Pictures(fetch)
        self.nodes: list[BlockSteps] = []
        self.steps: list[Step] = []
        self.blocks: list[BlockSteps] = []
        self._decorated: OrderedDict[int, None] = OrderedDict()  # action rows with a thumbnail
        self.model_ = QStandardItemModel(0, len(COLUMNS), self)
        self.model_.setHorizontalHeaderLabels(list(COLUMNS))
        self.tree = QTreeView()
        self.tree.setObjectName("runSteps")
        self.tree.setModel(self.model_)
        self.tree.setIconSize(THUMB)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # The status and duration columns are as wide as their longest words, measured
        # once (measuring every row's at each reading would cost more than the tree).
        metrics = self.tree.fontMetrics()
        self.tree.setColumnWidth(0, 380)
        self.tree.setColumnWidth(1, metrics.horizontalAdvance("Terminated") + 24)
        self.tree.setColumnWidth(2, metrics.horizontalAdvance("10 min 59 s") + 16)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._show_selected())
        self.tree.verticalScrollBar().valueChanged.connect(lambda _v: self._want_thumbs())
        self.tree.expanded.connect(lambda _i: self._want_thumbs())
        self.note = QLabel("The run's steps appear here as it takes them.")
        self.note.setObjectName("runStepsNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(MUTED)

        self.detail = StepDetail()
        self.detail.shot.clicked.connect(self._enlarge_current)
        self.detail.show_json.triggered.connect(self._show_json)
        self.detail.show_prompt.triggered.connect(self._show_prompt)
        self.prompt_of: Callable[[Step], Awaitable[str]] | None = None

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("runStepsSplit")
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(30)
        self._thumb_timer.timeout.connect(self._load_visible)
        self._show_selected()

    # ------------------------------------------------------------------ filling

    def fill(self, timeline: Sequence[TimelineItem], *, final: bool = False) -> None:
        current = self._current_key()
        self.blocks = steps_of(timeline)
        self.nodes = [node for top in self.blocks for node in top.walk()]
        self.steps = all_steps(self.blocks)
        self._decorated.clear()
        model = self.model_
        model.removeRows(0, model.rowCount())
        step_index = 0
        node_index = 0

        def add(parent: QStandardItem | QStandardItemModel, node: BlockSteps) -> None:
            nonlocal step_index, node_index
            block = node.block
            title = f"{node.label}  ·  {node.block_type}" if node.block_type else node.label
            head = QStandardItem(title)
            head.setData(node_index, BLOCK_ROLE)
            node_index += 1
            font = head.font()
            font.setBold(True)
            head.setFont(font)
            tip = block.description or block.navigation_goal or block.data_extraction_goal or ""
            if block.failure_reason:
                tip = (tip + "\n\n" if tip else "") + f"Why it stopped: {block.failure_reason}"
            head.setToolTip(tip)
            took = duration_text(block.created_at, block.modified_at) or ""
            status = status_label(node.status) if node.status else ""
            row = [head, QStandardItem(status), QStandardItem(took)]
            if block.description:
                described = QStandardItem(block.description)
                described.setForeground(Qt.GlobalColor.darkGray)
                described.setToolTip(block.description)
                head.appendRow([described, QStandardItem(""), QStandardItem("")])
            for thought in node.thoughts:
                item = QStandardItem(f"{thought.kind.capitalize()}: {thought.text}")
                item.setToolTip(thought.text)
                item.setForeground(Qt.GlobalColor.darkBlue)
                head.appendRow([item, QStandardItem(""), QStandardItem("")])
            for step in node.steps:
                item = QStandardItem(f"{step.number}. {step.words}")
                item.setData(step_index, STEP_ROLE)
                if step.screenshot_id:  # room for its thumbnail from the start: no jumps
                    item.setSizeHint(QSize(-1, THUMB.height() + 4))
                step_index += 1
                item.setToolTip(step.action.reasoning or "")
                gave_up = str(step.action.action_type).lower() == "terminate"
                state = QStandardItem(
                    "" if gave_up else status_label(str(step.action.status or ""))
                )
                if step.failed:
                    state.setForeground(Qt.GlobalColor.darkRed)
                    item.setForeground(Qt.GlobalColor.darkRed)
                head.appendRow([item, state, QStandardItem("")])
            for child in node.children:
                add(head, child)
            if node.extracted is not None:
                text = json.dumps(node.extracted, ensure_ascii=False)
                item = QStandardItem(f"Extracted: {text[:200]}{'…' if len(text) > 200 else ''}")
                item.setToolTip(json.dumps(node.extracted, indent=2, ensure_ascii=False)[:4000])
                item.setData(text, Qt.ItemDataRole.UserRole)
                head.appendRow([item, QStandardItem(""), QStandardItem("")])
            parent.appendRow(row)

        for top in self.blocks:
            add(model, top)
        self.tree.expandAll()
        n = len(self.steps)
        if not self.blocks:
            self.note.setText(
                "This run took no steps."
                if final
                else "The run's steps appear here as it takes them."
            )
        else:
            self.note.setText(
                f"{len(self.nodes)} block{'s' if len(self.nodes) != 1 else ''}, {n} action"
                f"{'s' if n != 1 else ''}. Choose an action to see what the AI saw and why it"
                " acted; click its screenshot to enlarge it."
            )
        self._restore(current)
        self._want_thumbs()
        self.changed.emit()

    def _current_key(self) -> tuple[str, int] | None:
        step = self.current_step()
        return (step.block_label, step.number) if step is not None else None

    def _restore(self, key: tuple[str, int] | None) -> None:
        if key is None:
            return
        for i, step in enumerate(self.steps):
            if (step.block_label, step.number) == key:
                self.select_step(i)
                return

    # ------------------------------------------------------------------ selection

    def _index_of_step(self, i: int) -> QModelIndex | None:
        found = self.model_.match(
            self.model_.index(0, 0), STEP_ROLE, i, 1,
            Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive,
        )  # fmt: skip
        return found[0] if found else None

    def select_step(self, i: int) -> None:
        index = self._index_of_step(i)
        if index is not None:
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def current_index(self) -> int | None:
        value = self.tree.currentIndex().siblingAtColumn(0).data(STEP_ROLE)
        return int(value) if isinstance(value, int) else None

    def current_step(self) -> Step | None:
        i = self.current_index()
        return self.steps[i] if i is not None and 0 <= i < len(self.steps) else None

    def _show_selected(self) -> None:
        step = self.current_step()
        self.detail.show_step(step)
        if step is not None and step.screenshot_id:
            shot = step.screenshot_id
            self._spawn(f"{self._task}.detail", self._load_detail(shot))

    async def _load_detail(self, artifact_id: str) -> None:
        image = await self.pictures.picture(artifact_id, thumb=False)
        step = self.current_step()
        if step is not None and step.screenshot_id == artifact_id:
            self.detail.show_picture(image, self.pictures.failed.get(artifact_id))

    def _enlarge_current(self) -> None:
        i = self.current_index()
        if i is not None:
            self.enlarge_requested.emit(i)

    # ------------------------------------------------------------------ thumbnails

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._want_thumbs()

    def _want_thumbs(self) -> None:
        if self.isVisible():
            self._thumb_timer.start()

    def visible_steps(self) -> list[int]:
        """The action rows on screen, top to bottom."""
        view = self.tree
        out: list[int] = []
        index = view.indexAt(view.viewport().rect().topLeft())
        bottom = view.viewport().rect().bottom()
        while index.isValid() and view.visualRect(index).top() <= bottom:
            value = index.siblingAtColumn(0).data(STEP_ROLE)
            if isinstance(value, int):
                out.append(value)
            index = view.indexBelow(index)
        return out

    def _load_visible(self) -> None:
        if not self.isVisible():
            return
        wanted = [
            i for i in self.visible_steps()
            if self.steps[i].screenshot_id and i not in self._decorated
        ]  # fmt: skip
        if wanted:
            self._spawn(self._task, self._load_thumbs(wanted))

    async def _load_thumbs(self, wanted: list[int]) -> None:
        for i in wanted:
            if i >= len(self.steps) or not self.isVisible():
                return
            shot = self.steps[i].screenshot_id
            assert shot is not None
            image = await self.pictures.picture(shot, thumb=True)
            index = self._index_of_step(i)
            if image is None or index is None:
                continue
            item = self.model_.itemFromIndex(index)
            item.setData(QPixmap.fromImage(image), Qt.ItemDataRole.DecorationRole)
            self._decorated[i] = None
            self._decorated.move_to_end(i)
            while len(self._decorated) > THUMBS_KEPT:
                old, _ = self._decorated.popitem(last=False)
                if (old_index := self._index_of_step(old)) is not None:
                    self.model_.itemFromIndex(old_index).setData(
                        None, Qt.ItemDataRole.DecorationRole
                    )

    def spawn(self, what: str, coro: Any) -> None:
        """Run ``coro`` as this view's task ``what`` (a newer one replaces it)."""
        self._spawn(f"{self._task}.{what}", coro)

    def thumbnails_shown(self) -> int:
        return len(self._decorated)

    # ------------------------------------------------------------------ developers

    def _show_json(self) -> None:
        step = self.current_step()
        if step is None:
            return
        text = json.dumps(step.action.model_dump(mode="json"), indent=2, ensure_ascii=False)
        show_text(
            self, "runStepJson", f"Step {step.number} of “{step.block_label}”: raw JSON", text
        )

    def _show_prompt(self) -> None:
        step = self.current_step()
        if step is None or self.prompt_of is None:
            return
        reader = self.prompt_of

        async def read() -> None:
            try:
                text = await reader(step)
            except SkyvernError as exc:
                text = f"The model's prompt and answer could not be read: {exc}"
            show_text(
                self, "runStepPrompt", f"Step {step.number}: the model's prompt and answer", text
            )

        self._spawn(f"{self._task}.prompt", read())


def show_text(parent: QWidget, name: str, title: str, text: str) -> QDialog:
    """A non-modal window with read-only text (for developers)."""
    box = QPlainTextEdit()
    box.setObjectName(f"{name}Text")
    box.setReadOnly(True)
    box.setPlainText(text)
    return open_panel(parent, name, title, box)


class StepDetail(QWidget):
    """The selected action: its words, element, typed text, reasoning, intention, status
    and screenshot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runStepDetail")
        self.title = QLabel("Choose an action on the left.")
        self.title.setObjectName("runStepTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for name in ("Element", "Typed", "Reasoning", "Intention", "Status", "Answer"):
            value = QLabel()
            value.setObjectName(f"runStep{name}")
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{name}:", value)
            self.fields[name] = value
        self._form = form
        self.shot = ClickableFrame("runStepShot")
        self.shot.setMinimumSize(240, 135)
        self.shot.setToolTip("Click to enlarge; then ← and → step through the actions")
        self.shot.set_text("")
        self.developer_menu = QMenu("For developers", self)
        self.show_json = self.developer_menu.addAction("Show this step's raw JSON")
        self.show_prompt = self.developer_menu.addAction("Show the model's prompt and answer")
        self.developer_button = QPushButton("For developers")
        self.developer_button.setObjectName("runStepDeveloper")
        self.developer_button.setMenu(self.developer_menu)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.shot, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.developer_button)
        layout.addLayout(row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def show_step(self, step: Step | None) -> None:
        self.developer_button.setEnabled(step is not None)
        self.shot.set_image(None)
        if step is None:
            self.title.setText("Choose an action on the left.")
            for label in self.fields.values():
                label.setText("")
                self._form.setRowVisible(label, False)
            self.shot.set_text("")
            return
        action = step.action
        self.title.setText(f"Step {step.number} of “{step.block_label}”: {step.words}")
        typed = typed_text(action)
        values = {
            "Element": action.element_id and f"{action.element_id}",
            "Typed": typed,
            "Reasoning": action.reasoning,
            "Intention": action.intention,
            "Status": status_label(str(action.status or "")),
            "Answer": action.response,
        }
        name = element_name(action)
        if name and name != action.element_id:
            values["Element"] = f"{name} ({action.element_id})" if action.element_id else name
        for key, label in self.fields.items():
            value = values.get(key)
            label.setText(value or "")
            self._form.setRowVisible(label, bool(value))
        self.shot.set_text(
            "Loading the screenshot…" if step.screenshot_id else "No screenshot for this action."
        )

    def show_picture(self, image: QImage | None, problem: str | None) -> None:
        if image is None:
            self.shot.set_text(f"The screenshot could not be read: {problem or 'unknown'}")
        else:
            self.shot.set_text("")
        self.shot.set_image(image)


class ShotViewer(QDialog):
    """One action's screenshot, large, with its words beside it; ← and → step through
    the run's actions (those with a screenshot)."""

    def __init__(self, steps_view: StepsView, start: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runShotViewer")
        self.setWindowTitle("Step screenshot")
        self.view = steps_view
        self.frame = FrameView("runShotViewerPicture")
        self.frame.setMinimumSize(640, 360)
        self.words = QLabel()
        self.words.setObjectName("runShotViewerWords")
        self.words.setWordWrap(True)
        self.words.setTextFormat(Qt.TextFormat.PlainText)
        self.words.setMinimumWidth(260)
        self.words.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QHBoxLayout(self)
        layout.addWidget(self.frame, 3)
        layout.addWidget(self.words, 1)
        self.resize(1200, 640)
        self.index = start
        self.finished.connect(lambda _r: self.deleteLater())
        self.show_index(start)

    def _with_shots(self) -> list[int]:
        return [i for i, s in enumerate(self.view.steps) if s.screenshot_id]

    def step_by(self, delta: int) -> None:
        shots = self._with_shots()
        if not shots:
            return
        later = [i for i in shots if (i > self.index if delta > 0 else i < self.index)]
        if later:
            self.show_index(later[0] if delta > 0 else later[-1])

    def show_index(self, i: int) -> None:
        if not 0 <= i < len(self.view.steps):
            return
        self.index = i
        step = self.view.steps[i]
        action = step.action
        lines = [f"Step {step.number} of “{step.block_label}”", step.words, ""]
        if typed := typed_text(action):
            lines.append(f"Typed: {typed}")
        if action.reasoning:
            lines.append(f"Reasoning: {action.reasoning}")
        if action.intention:
            lines.append(f"Intention: {action.intention}")
        lines.append(f"Status: {status_label(str(action.status or ''))}")
        lines.append("")
        lines.append("← and → step through the actions.")
        self.words.setText("\n".join(lines))
        self.frame.set_image(None)
        self.frame.set_text("Loading…")
        self.view.select_step(i)
        if step.screenshot_id:
            shot = step.screenshot_id
            self.view.spawn("viewer", self._load(i, shot))
        else:
            self.frame.set_text("No screenshot for this action.")

    async def _load(self, i: int, artifact_id: str) -> None:
        image = await self.view.pictures.picture(artifact_id, thumb=False)
        if not isValid(self) or not isValid(self.frame):
            return  # closed meanwhile (Esc): Qt has deleted it
        if self.index == i:
            self.frame.set_image(image)
            self.frame.set_text("" if image is not None else "The screenshot could not be read.")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.step_by(1)
        elif event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.step_by(-1)
        else:
            super().keyPressEvent(event)
