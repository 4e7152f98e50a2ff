"""The batch view's two questions: starting a "may have started" row again, and cancelling
the running runs. Each acts only on its yes. (No server: nothing is sent; the runner is
not run.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.core.batch.rows import BatchRow, RowState
from skyvern_desktop.core.batch.runner import BatchRunner
from skyvern_desktop.core.batch.store import BatchStore
from skyvern_desktop.ui.batch.view import BatchView
from tests.ui.conftest import child


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path) -> Iterator[BatchView]:
    rows = [
        BatchRow(index=0, cells=("a",), params={"name": "a"}),
        BatchRow(index=1, cells=("b",), params={"name": "b"}),
    ]
    rows[0].state, rows[0].sent_at = RowState.MAYBE, time.time()
    rows[1].state, rows[1].run_id, rows[1].status = RowState.RUNNING, "wr_1", "running"
    store = BatchStore(tmp_path / "b.sqlite3")
    info = store.create(
        base_url="http://127.0.0.1:9", workflow_permanent_id="wpid_1", workflow_title="T",
        source="s", headers=("name",), mapping={}, options={}, title_template="",
        concurrency=2, rows=rows,
    )  # fmt: skip
    client = SkyvernClient("http://127.0.0.1:9", api_key="k", retry=NO_RETRY)
    runner = BatchRunner(store, info, rows, client, lambda _i: None)
    shown = BatchView(runner, None)
    shown.show()
    yield shown
    shown.deleteLater()  # with its one-second tick
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    store.close()


def _state(view: BatchView) -> RowState:
    return view.runner.rows[0].state


def _asking(view: BatchView, name: str) -> QMessageBox:
    """The question on screen (an answered one is deleted only later)."""
    shown = [b for b in view.findChildren(QMessageBox, name) if b.isVisible()]
    assert len(shown) == 1, name
    return shown[0]


def _answer(view: BatchView, name: str, yes: bool) -> None:
    box = _asking(view, name)
    if yes:
        child(box, QPushButton, f"{name}Yes").click()
    else:
        box.reject()


def test_a_row_that_may_have_started_is_started_again_only_on_yes(view: BatchView) -> None:
    view.table.selectRow(0)
    again = child(view, QPushButton, "batchStartAgain")
    assert again.isEnabled()
    again.click()
    box = _asking(view, "confirmStartAgain")
    assert box.icon() is QMessageBox.Icon.Warning
    assert "may run it twice" in box.text()
    _answer(view, "confirmStartAgain", yes=False)
    assert _state(view) is RowState.MAYBE
    again.click()
    _answer(view, "confirmStartAgain", yes=True)
    assert _state(view) is RowState.PENDING


def test_cancel_running_asks_with_no_rather_than_cancel_and_acts_on_yes(view: BatchView) -> None:
    asked: list[bool] = []
    view.cancel_running_requested.connect(lambda: asked.append(True))
    view.refresh_summary()
    button = child(view, QPushButton, "batchCancelRunning")
    assert button.isEnabled()
    button.click()
    box = _asking(view, "confirmCancelRunning")
    assert "stops the 1 run of this batch" in box.text()
    # "Cancel" beside "Cancel them" would confuse: the way out is "No".
    assert box.button(QMessageBox.StandardButton.No) is not None
    assert box.button(QMessageBox.StandardButton.Cancel) is None
    _answer(view, "confirmCancelRunning", yes=False)
    assert asked == []
    button.click()
    _answer(view, "confirmCancelRunning", yes=True)
    assert asked == [True]
