"""The app's one "ask first" box (ui/dialogs.question), awaited (ask) or answered later
(confirm): plain text, a named yes, and Enter never does what cannot be undone."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from skyvern_desktop.ui.dialogs import ask, confirm, question
from tests.ui.conftest import child, wait_until


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_the_box_reads_names_as_text_and_names_its_yes(parent: QWidget) -> None:
    box, yes = question(
        parent, "askThing", "Delete it?", "Delete “<b>Q3</b>”?", "Delete", detail="For good."
    )
    try:
        assert box.objectName() == "askThing" and yes.objectName() == "askThingYes"
        assert box.text() == "Delete “<b>Q3</b>”?" and box.informativeText() == "For good."
        assert box.textFormat() is Qt.TextFormat.PlainText  # a name is never markup
        assert yes.text() == "Delete"
        assert box.defaultButton() is yes  # not destructive: Enter says yes
    finally:
        box.deleteLater()


def test_a_destructive_yes_is_not_the_default(parent: QWidget) -> None:
    box, yes = question(
        parent, "askThing", "Cancel run", "Cancel it?", "Cancel run",
        no=QMessageBox.StandardButton.No, destructive=True,
    )  # fmt: skip
    try:
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        assert box.buttonRole(yes) is QMessageBox.ButtonRole.DestructiveRole
    finally:
        box.deleteLater()


def _open_box(parent: QWidget, name: str) -> QMessageBox | None:
    box = parent.findChild(QMessageBox, name)
    return box if box is not None and box.isVisible() else None


@pytest.mark.asyncio
@pytest.mark.parametrize("say_yes", [True, False])
async def test_ask_is_true_only_on_yes_and_the_box_goes(parent: QWidget, say_yes: bool) -> None:
    asking = asyncio.ensure_future(ask(parent, "askThing", "Send?", "Send it?", "Send"))
    await wait_until(lambda: _open_box(parent, "askThing"), what="the question")
    box = _open_box(parent, "askThing")
    assert box is not None and box.isModal()
    if say_yes:
        child(box, QPushButton, "askThingYes").click()
    else:
        box.button(QMessageBox.StandardButton.Cancel).click()
    assert await asyncio.wait_for(asking, 5) is say_yes
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert parent.findChild(QMessageBox, "askThing") is None


def test_confirm_acts_only_on_yes(parent: QWidget) -> None:
    done: list[str] = []
    box = confirm(parent, "askThing", "Close?", "Close it?", "Close it", lambda: done.append("x"))
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert done == []
    box = confirm(parent, "askThing", "Close?", "Close it?", "Close it", lambda: done.append("x"))
    child(box, QPushButton, "askThingYes").click()
    assert done == ["x"]
