"""One editor per workflow input. The rules are in ``core.params``; these only show them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...core.forms.params import FieldKind, FieldSpec, Invalid, Parsed
from .labels import ERROR_STYLE

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
Uploader = Callable[[str, bytes], Coroutine[Any, Any, str]]
Spawner = Callable[[str, Coroutine[Any, Any, Any]], object]


class _FocusOut(QObject):
    """Checks a field when it loses focus. Turned off (:meth:`FieldEditor.detach`) before
    its dialog is destroyed: focus moves while widgets are torn down, and a check then
    would touch labels that are already gone."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback: Callable[[], None] | None = callback

    def stop(self) -> None:
        self._callback = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and self._callback is not None:
            self._callback()
        return False


class FieldEditor(QWidget):
    """Label, editor, help text and inline error for one input."""

    edited = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.uploading = False  # only a file input uploads; the others never are
        self._watchers: list[_FocusOut] = []
        self.setObjectName(f"field_{spec.key}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        mark = " <span style='color:#cf222e'>*</span>" if spec.required else ""
        self.label = QLabel(
            f"<b>{escape(spec.label)}</b>{mark} <span style='color:gray'>"
            f"({spec.kind_label}{'' if spec.required else ', optional'})</span>"
        )
        self.label.setObjectName(f"field_{spec.key}_label")
        layout.addWidget(self.label)
        self.editor_row = QHBoxLayout()
        layout.addLayout(self.editor_row)
        self.help = QLabel(spec.description or "")
        self.help.setObjectName(f"field_{spec.key}_help")
        self.help.setWordWrap(True)
        self.help.setStyleSheet("color: palette(placeholder-text);")
        self.help.setVisible(bool(spec.description))
        layout.addWidget(self.help)
        self.error = QLabel()
        self.error.setObjectName(f"field_{spec.key}_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

    def _watch(self, widget: QWidget) -> None:
        watcher = _FocusOut(self.validate, widget)
        self._watchers.append(watcher)
        widget.installEventFilter(watcher)
        widget.setAccessibleName(self.spec.label)
        widget.setAccessibleDescription(self.spec.description or "")

    # subclasses implement these two
    def text(self) -> str:
        raise NotImplementedError

    def set_text(self, text: str) -> None:
        raise NotImplementedError

    def detach(self) -> None:
        """No more checks on focus-out: the dialog is closing."""
        for watcher in self._watchers:
            watcher.stop()

    def validate(self) -> Parsed:
        parsed = self.spec.parse(self.text())
        self.show_error(parsed.message if isinstance(parsed, Invalid) else "")
        return parsed

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def focus_editor(self) -> None:
        self.setFocus()


def fit_to_lines(edit: QPlainTextEdit, fewest: int, most: int) -> None:
    """Keep ``edit`` as tall as its text (whole lines, wrapped ones counted), between
    ``fewest`` and ``most`` lines; beyond that it scrolls. Never half a line."""

    def lines_of_text() -> int:
        count = 0
        block = edit.document().begin()
        while block.isValid():
            layout = block.layout()
            count += max(1, layout.lineCount() if layout is not None else 1)
            block = block.next()
        return count

    def update() -> None:
        lines = min(max(lines_of_text(), fewest), most)
        margins = edit.contentsMargins()
        height = (
            edit.fontMetrics().lineSpacing() * lines
            + 2 * edit.document().documentMargin()
            + margins.top()
            + margins.bottom()
        )
        edit.setFixedHeight(int(height) + 2)

    edit.document().documentLayout().documentSizeChanged.connect(lambda _size: update())
    update()


class TextEditor(FieldEditor):
    """string: several lines; json: monospace, checked as you type."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"field_{spec.key}_edit")
        self.edit.setTabChangesFocus(True)
        if spec.kind is FieldKind.JSON:
            self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.edit.textChanged.connect(self.validate)
            fit_to_lines(self.edit, 3, 14)
        else:
            fit_to_lines(self.edit, 2, 8)
        self.edit.textChanged.connect(self.edited)
        self.editor_row.addWidget(self.edit)
        self._watch(self.edit)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def focus_editor(self) -> None:
        self.edit.setFocus()


class LineEditor(FieldEditor):
    """integer and float."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QLineEdit()
        self.edit.setObjectName(f"field_{spec.key}_edit")
        self.edit.setPlaceholderText("e.g. 12" if spec.kind is FieldKind.INTEGER else "e.g. 2.5")
        self.edit.textEdited.connect(self.edited)
        self.editor_row.addWidget(self.edit)
        self._watch(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def focus_editor(self) -> None:
        self.edit.setFocus()


class BooleanEditor(FieldEditor):
    """An explicit choice; nothing is chosen for a required input without a default."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.yes = QRadioButton("Yes")
        self.yes.setObjectName(f"field_{spec.key}_yes")
        self.no = QRadioButton("No")
        self.no.setObjectName(f"field_{spec.key}_no")
        self.group = QButtonGroup(self)
        self.group.addButton(self.yes)
        self.group.addButton(self.no)
        self.group.buttonToggled.connect(lambda *_: self._changed())
        self.editor_row.addWidget(self.yes)
        self.editor_row.addWidget(self.no)
        self.editor_row.addStretch(1)
        for b in (self.yes, self.no):
            b.setAccessibleName(f"{spec.label}: {b.text()}")

    def _changed(self) -> None:
        self.validate()
        self.edited.emit()

    def text(self) -> str:
        if self.yes.isChecked():
            return "true"
        if self.no.isChecked():
            return "false"
        return ""

    def set_text(self, text: str) -> None:
        parsed = self.spec.parse(text)
        self.group.setExclusive(False)
        self.yes.setChecked(parsed is True)
        self.no.setChecked(parsed is False)
        self.group.setExclusive(True)

    def focus_editor(self) -> None:
        self.yes.setFocus()


class FileUrlEditor(FieldEditor):
    """A web address, or a file chosen and uploaded to the server (10 MB at most)."""

    def __init__(
        self, spec: FieldSpec, uploader: Uploader, spawn: Spawner, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, parent)
        self._uploader = uploader
        self._spawn = spawn
        self.edit = QLineEdit()
        self.edit.setObjectName(f"field_{spec.key}_edit")
        self.edit.setPlaceholderText("https://… or choose a file")
        self.edit.textEdited.connect(self.edited)
        self.choose = QPushButton("Choose file…")
        self.choose.setObjectName(f"field_{spec.key}_choose")
        self.choose.clicked.connect(self._pick)
        self.busy = QProgressBar()
        self.busy.setObjectName(f"field_{spec.key}_busy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.uploading = False
        self._picker: QFileDialog | None = None
        self.editor_row.addWidget(self.edit, 1)
        self.editor_row.addWidget(self.busy)
        self.editor_row.addWidget(self.choose)
        self._watch(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def focus_editor(self) -> None:
        self.edit.setFocus()

    def _pick(self) -> None:
        if self._picker is None:
            self._picker = QFileDialog(self, f"Choose the file for {self.spec.label}")
            self._picker.setObjectName(f"field_{self.spec.key}_picker")
            self._picker.setFileMode(QFileDialog.FileMode.ExistingFile)
            self._picker.fileSelected.connect(self.upload_path)
        self._picker.open()

    def upload_path(self, path: str) -> None:
        self._spawn(f"upload.{self.spec.key}", self.upload(Path(path)))

    async def upload(self, path: Path) -> bool:
        """Upload ``path`` and put the returned address in the field. False if it failed."""
        from ...api.errors import ServerError, SkyvernError

        try:
            size = (await asyncio.to_thread(path.stat)).st_size
        except OSError as exc:
            self.show_error(f"The file cannot be read: {exc.strerror or exc}.")
            return False
        if size > MAX_UPLOAD_BYTES:
            self.show_error(
                f"{path.name} is {size / 1048576:.1f} MB; Skyvern accepts files of up to 10 MB."
            )
            return False
        self.choose.setEnabled(False)
        self.uploading = True
        self.busy.show()
        self.show_error("")
        self.help.setText(f"Uploading {path.name}…")
        self.help.show()
        try:
            content = await asyncio.to_thread(path.read_bytes)
            url = await self._uploader(path.name, content)
        except OSError as exc:
            self.show_error(f"The file cannot be read: {exc.strerror or exc}.")
            return False
        except ServerError as exc:
            self.show_error(
                "This server could not store the file"
                f"{f' (it said: {exc.server_message})' if exc.server_message else ''}. "
                "Put the file somewhere the server can reach and paste its web address."
            )
            return False
        except SkyvernError as exc:
            self.show_error(f"The upload failed: {exc}")
            return False
        finally:
            self.uploading = False
            self.choose.setEnabled(True)
            self.busy.hide()
            self.help.setText(self.spec.description or "")
            self.help.setVisible(bool(self.spec.description))
        self.edit.setText(url)
        self.help.setText(f"Uploaded {path.name}.")
        self.help.show()
        self.validate()
        self.edited.emit()
        return True


class CredentialEditor(FieldEditor):
    """A searchable list of the server's credentials; a typed id is accepted too."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        self.combo.setObjectName(f"field_{spec.key}_edit")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.combo.lineEdit()
        assert line is not None
        line.setPlaceholderText("Search credentials, or type a credential id (cred_…)")
        completer = self.combo.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.combo.editTextChanged.connect(lambda *_: self.edited.emit())
        self.editor_row.addWidget(self.combo, 1)
        self._watch(self.combo)

    def set_credentials(self, items: list[tuple[str, str]]) -> None:
        """``(label, credential_id)`` pairs; keeps what is typed."""
        current = self.text()
        self.combo.blockSignals(True)
        self.combo.clear()
        for label, cred_id in items:
            self.combo.addItem(label, cred_id)
        self.combo.blockSignals(False)
        self.set_text(current)

    def text(self) -> str:
        typed = self.combo.currentText().strip()
        current = self.combo.currentIndex()
        if current >= 0 and typed == self.combo.itemText(current).strip():
            return str(self.combo.itemData(current))  # the chosen entry, even if labels repeat
        index = self.combo.findText(typed)
        if index >= 0:
            return str(self.combo.itemData(index))
        return typed

    def set_text(self, text: str) -> None:
        index = self.combo.findData(text)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setCurrentIndex(-1)
            self.combo.setEditText(text)

    def focus_editor(self) -> None:
        self.combo.setFocus()


def make_editor(spec: FieldSpec, uploader: Uploader, spawn: Spawner) -> FieldEditor:
    if spec.kind in (FieldKind.STRING, FieldKind.JSON):
        return TextEditor(spec)
    if spec.kind in (FieldKind.INTEGER, FieldKind.FLOAT):
        return LineEditor(spec)
    if spec.kind is FieldKind.BOOLEAN:
        return BooleanEditor(spec)
    if spec.kind is FieldKind.FILE_URL:
        return FileUrlEditor(spec, uploader, spawn)
    return CredentialEditor(spec)
