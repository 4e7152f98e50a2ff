"""Showing dialogs from coroutines without a nested event loop (see DESIGN.md)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar, Unpack

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from .context import AppContext

DialogT = TypeVar("DialogT", bound=QDialog)
FormT = TypeVar("FormT", bound="BusyForm")


class BusyForm(Protocol):
    """A non-modal form bound to one client (a launcher, a schedule editor)."""

    @property
    def busy(self) -> bool: ...

    def reject(self) -> None: ...

    def close(self) -> bool: ...


class FormOwner(QObject, Generic[FormT]):
    """Owns a kind of form that holds the client it was opened with: the open ones are in
    ``forms``; a change of connection closes them (one that is sending closes once the
    server has answered); quitting closes them all."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._session = ctx.session
        self._tasks = ctx.tasks
        self._reporter = ctx.reporter
        self._window = ctx.parent
        self.forms: list[FormT] = []
        ctx.session.client_changed.connect(self.close_stale)

    def close_stale(self) -> None:
        for form in list(self.forms):
            if not form.busy:
                form.reject()

    def close_all(self) -> None:
        for form in list(self.forms):
            form.close()


def show_form(form: DialogT, registry: list[DialogT]) -> DialogT:
    """Show a form (a launcher, a schedule editor) and keep it in ``registry`` until it
    closes; then it is forgotten and deleted."""

    def forget(_result: int) -> None:
        if form in registry:
            registry.remove(form)
        form.deleteLater()

    form.finished.connect(forget)
    registry.append(form)
    form.show()
    form.raise_()
    return form


def size_to_content(widget: QWidget, width: int, height: int) -> None:
    """Open ``widget`` at ``width``×``height``, or larger where its content needs more.

    No explicit minimum size is set: the layout's own minimum then holds, so no button or
    label is ever squeezed below its text, whatever the font and its size. Call it once the
    layout is built. The size stays within the screen."""
    layout = widget.layout()
    if layout is not None:
        layout.activate()
    size = widget.sizeHint().expandedTo(QSize(width, height))
    size = size.expandedTo(widget.minimumSizeHint())
    if (screen := widget.screen()) is not None:
        size = size.boundedTo(screen.availableGeometry().size())
    widget.resize(size)


async def run_dialog(dialog: QDialog) -> int:
    """Open ``dialog`` window-modally and wait for its result, keeping the event loop running.

    ``QDialog.exec()`` would start a nested loop inside the coroutine, which qasync
    cannot survive; ``open()`` plus a future resolved on ``finished`` can.
    """
    dialog.open()  # nothing can finish it before the await below lets events run
    try:
        return await wait_closed(dialog)
    finally:
        if dialog.isVisible():
            dialog.reject()


async def wait_closed(dialog: QDialog) -> int:
    """Wait for a dialog that is already open to close; its result."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()

    def finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    dialog.finished.connect(finished)
    try:
        return await done
    finally:
        # A dialog deleted once it closed (deleteLater ran before this resumed) has no
        # signal left to disconnect.
        with contextlib.suppress(RuntimeError):
            dialog.finished.disconnect(finished)


def ask_save_path(
    parent: QWidget,
    title: str,
    name: str,
    then: Callable[[str], object],
    *,
    filters: list[str] | None = None,
) -> None:
    """A non-blocking "Save as" dialog (no nested event loop); ``then(path)`` when chosen.
    With ``filters`` ("Name (*.ext)"), the chosen one's suffix is added when none is typed."""
    dialog = QFileDialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    if filters:

        def use_suffix_of(chosen: str) -> None:  # "Excel workbook (*.xlsx)" -> "xlsx"
            dialog.setDefaultSuffix(chosen.rsplit("*.", 1)[-1].rstrip(")"))

        dialog.setNameFilters(filters)
        dialog.filterSelected.connect(use_suffix_of)
        use_suffix_of(filters[0])
    dialog.selectFile(name)
    dialog.fileSelected.connect(then)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()


class QuestionOptions(TypedDict, total=False):
    """What :func:`confirm` and :func:`ask` pass on to :func:`question`."""

    detail: str
    icon: QMessageBox.Icon
    no: QMessageBox.StandardButton
    destructive: bool


def question(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    yes: str,
    *,
    detail: str = "",
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
    no: QMessageBox.StandardButton = QMessageBox.StandardButton.Cancel,
    destructive: bool = False,
) -> tuple[QMessageBox, QPushButton]:
    """The app's one "ask first" box, not yet open: plain text (names from the server are
    never read as markup), ``detail`` under it, a ``yes`` button named ``{name}Yes`` and a
    way out. A destructive yes is not the default, so Enter never does what cannot be
    undone."""
    box = QMessageBox(icon, title, text, no, parent)
    box.setObjectName(name)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if detail:
        box.setInformativeText(detail)
    role = (
        QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    )
    button = box.addButton(yes, role)
    button.setObjectName(f"{name}Yes")
    if destructive:
        box.setDefaultButton(no)
    else:
        box.setDefaultButton(button)
    return box, button


def confirm(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    yes: str,
    then: Callable[[], Any],
    **options: Unpack[QuestionOptions],
) -> QMessageBox:
    """Ask first, window-modal, without waiting; ``then()`` runs only on ``yes``. The box
    (see :func:`question` for ``options``) deletes itself when answered."""
    box, button = question(parent, name, title, text, yes, **options)
    box.buttonClicked.connect(lambda b: then() if b is button else None)
    box.finished.connect(lambda _r: box.deleteLater())
    box.open()
    return box


async def ask(
    parent: QWidget, name: str, title: str, text: str, yes: str, **options: Unpack[QuestionOptions]
) -> bool:
    """Ask first, window-modal, from a coroutine: ``True`` only when ``yes`` was chosen
    (see :func:`question` for ``options``). The box is deleted once answered."""
    box, button = question(parent, name, title, text, yes, **options)
    try:
        await run_dialog(box)
        return box.clickedButton() is button
    finally:
        box.deleteLater()


def open_panel(
    parent: QWidget, name: str, title: str, content: QWidget, size: tuple[int, int] = (820, 600)
) -> QDialog:
    """A non-modal window showing ``content`` (a picture, a text), deleted when closed."""
    dialog = QDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    layout.addWidget(content)
    dialog.resize(*size)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()
    return dialog
