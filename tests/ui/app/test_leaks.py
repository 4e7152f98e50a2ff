"""Windows and timers that outlived their use, and a report list without an end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.ui.errors import HISTORY_SIZE, ErrorReporter
from skyvern_desktop.ui.local.dialogs import StartDialog
from skyvern_desktop.ui.tasks import TaskRunner
from tests.api.support import API_KEY
from tests.fakes.server import FakeServer
from tests.support.panes import run_pane
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


async def test_the_error_history_keeps_only_the_latest_reports(tmp_path: Path) -> None:
    reporter = ErrorReporter(tmp_path / "app.log", headless=True)
    for n in range(HISTORY_SIZE + 50):
        reporter.report(f"Problem {n}", RuntimeError(f"failure {n}"))
    assert len(reporter.history) == HISTORY_SIZE
    assert reporter.history[-1].title == f"Problem {HISTORY_SIZE + 49}"
    assert reporter.history[0].title == "Problem 50"


async def test_the_start_window_stops_reading_the_log_once_closed(
    qtbot: QtBot, tmp_path: Path
) -> None:
    (tmp_path / "server.log").write_text("starting\n")
    dialog = StartDialog(tmp_path / "server.log")
    qtbot.addWidget(dialog)
    dialog.show()
    timer = dialog.findChild(QTimer, "localStartLogTimer")
    assert timer is not None and timer.isActive()
    dialog.accept()  # the server is up
    assert not timer.isActive()


async def test_the_cancel_question_is_deleted_once_answered(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks)
        qtbot.addWidget(pane)
        asking = asyncio.ensure_future(pane.cancel())
        await wait_until(
            lambda: pane.findChild(QMessageBox, "confirmCancelRun") is not None,
            what="the question",
        )
        box = pane.findChild(QMessageBox, "confirmCancelRun")
        assert box is not None
        box.button(QMessageBox.StandardButton.No).click()
        assert await asking is False
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert pane.findChild(QMessageBox, "confirmCancelRun") is None
        assert fake_server.requests_to("POST", "/v1/runs/wr_1/cancel") == []


async def test_an_enlarged_screenshot_is_deleted_once_closed(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer, tmp_path: Path
) -> None:
    picture = QImage(16, 9, QImage.Format.Format_RGB32)
    picture.fill(0x3366AA)
    assert picture.save(str(tmp_path / "shot.png"))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, read_local_files=True)
        qtbot.addWidget(pane)
        # A screenshot that cannot be read keeps its row: the next one still enlarges.
        await pane.load_screenshots([(tmp_path / "gone.png").as_uri(),
                                     (tmp_path / "shot.png").as_uri()])  # fmt: skip
        assert pane.screenshot_count == 1
        pane.shots.view.doubleClicked.emit(pane.shots.model.index(1, 0))
        dialog = pane.findChild(QDialog, "runScreenshotDialog")
        assert dialog is not None and dialog.isVisible()
        dialog.reject()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert pane.findChild(QDialog, "runScreenshotDialog") is None
