"""What a new operator sees first: nothing clipped at any font size, a JSON box that shows
whole lines, a Runs list that says why it is empty, links only where they lead somewhere,
and the developers' snippets out of the way."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.core.connection.check import ConnectionReport, ConnectionState
from skyvern_desktop.core.connection.profiles import ProfileStore
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.connection.urls import web_ui_link
from skyvern_desktop.ui.launch.dialog import LaunchDialog
from skyvern_desktop.ui.runs.history import RunHistory
from skyvern_desktop.ui.runs.history_feed import RunHistoryFeed
from skyvern_desktop.ui.schedules.editor import ScheduleEditor
from skyvern_desktop.ui.session import Session
from skyvern_desktop.ui.settings.dialog import ConnectionsDialog
from skyvern_desktop.ui.tasks import TaskRunner
from skyvern_desktop.ui.widgets.fields import TextEditor
from tests.api.support import API_KEY, workflow_json
from tests.fakes.server import FakeResponse, FakeServer

pytestmark = pytest.mark.asyncio

JSON_WORKFLOW = workflow_json(
    1,
    workflow_definition={
        "version": 1,
        "parameters": [
            {
                "parameter_type": "workflow",
                "key": "items",
                "workflow_parameter_id": "wp_1",
                "workflow_parameter_type": "json",
                "default_value": None,
                "description": "A JSON list",
                "created_at": "2026-11-29T15:07:43.787901Z",
            }
        ],
        "blocks": [],
    },
)


def clipped(root: QWidget) -> list[str]:
    """Every visible button, and every label that does not wrap, narrower than its text."""
    found = []
    widgets: list[QWidget] = [*root.findChildren(QAbstractButton), *root.findChildren(QLabel)]
    for widget in widgets:
        if not widget.isVisible() or (isinstance(widget, QLabel) and widget.wordWrap()):
            continue
        if isinstance(widget, QLabel) and not widget.text():
            continue
        if widget.width() < widget.minimumSizeHint().width():
            text = widget.text() if isinstance(widget, QAbstractButton | QLabel) else ""
            found.append(f"{widget.objectName() or type(widget).__name__} {text!r}")
    return found


@pytest.fixture(params=[0, 4], ids=["default font", "larger font"])
def font_step(request: pytest.FixtureRequest) -> Iterator[int]:
    """The app's font as it is, and 4 points larger (a user's bigger system font)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    original = QFont(app.font())
    if request.param:
        bigger = QFont(original)
        bigger.setPointSizeF(original.pointSizeF() + request.param)
        app.setFont(bigger)
    yield request.param
    app.setFont(original)


@pytest.mark.parametrize("first_run", [True, False], ids=["welcome", "connections"])
async def test_the_connections_dialogs_show_every_button_whole(
    qtbot: QtBot, tasks: TaskRunner, no_keyring: KeyStore, tmp_path: Any, first_run: bool,
    font_step: int,
) -> None:  # fmt: skip
    store = ProfileStore(tmp_path / "profiles.json")
    dialog = ConnectionsDialog(store, no_keyring, tasks, first_run=first_run)
    qtbot.addWidget(dialog)
    dialog.show()
    await qtbot_wait_exposed(qtbot, dialog)
    assert clipped(dialog) == []
    local = dialog.findChild(QPushButton, "useLocalServer")
    assert local is not None and local.width() >= local.sizeHint().width()
    dialog.reject()


async def qtbot_wait_exposed(qtbot: QtBot, widget: QWidget) -> None:
    with qtbot.waitExposed(widget):
        pass


@pytest.mark.parametrize("form", ["launcher", "schedule editor"])
async def test_the_forms_show_every_button_whole(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer, form: str, font_step: int
) -> None:
    fake_server.always("GET", "/v1/workflows/wpid_1", FakeResponse.of_json(JSON_WORKFLOW))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        workflow = await client.get_workflow("wpid_1")
        dialog: LaunchDialog | ScheduleEditor
        if form == "launcher":
            dialog = LaunchDialog(workflow, client, tasks)
        else:
            dialog = ScheduleEditor(workflow, client, tasks, default_timezone="UTC")
        qtbot.addWidget(dialog)
        dialog.show()
        await tasks.join()
        await qtbot_wait_exposed(qtbot, dialog)
        assert clipped(dialog) == []
        dialog.reject()


@contextlib.asynccontextmanager
async def _launcher(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> AsyncIterator[LaunchDialog]:
    """The launcher of a workflow with one JSON input, shown, its lists loaded."""
    fake_server.always("GET", "/v1/workflows/wpid_1", FakeResponse.of_json(JSON_WORKFLOW))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        dialog = LaunchDialog(await client.get_workflow("wpid_1"), client, tasks)
        qtbot.addWidget(dialog)
        dialog.show()
        await tasks.join()
        yield dialog
        dialog.reject()


async def test_the_json_box_shows_whole_lines_and_grows_with_its_text(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    async with _launcher(qtbot, tasks, fake_server) as dialog:
        editor = dialog.editors["items"]
        assert isinstance(editor, TextEditor)
        box = editor.edit
        assert isinstance(box, QPlainTextEdit)
        empty_height = box.height()
        assert box.verticalScrollBar().maximum() == 0

        async def show(lines: int) -> None:
            editor.set_text("[\n" + ",\n".join(f'  "item {i}"' for i in range(lines - 2)) + "\n]")
            await asyncio.sleep(0.05)  # layouts settle on the loop (no nested processEvents)

        await show(6)  # all six lines in view: nothing scrolls, no line is cut
        assert box.height() > empty_height
        assert box.verticalScrollBar().maximum() == 0
        await show(14)  # the most it grows to
        assert box.verticalScrollBar().maximum() == 0
        tallest = box.height()
        await show(40)  # beyond that it scrolls, at the same height
        assert box.height() == tallest
        assert box.verticalScrollBar().maximum() > 0


async def test_the_developer_snippets_sit_in_their_own_menu(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    async with _launcher(qtbot, tasks, fake_server) as dialog:
        buttons = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
        assert not any("Copy as" in text for text in buttons), buttons
        developer = dialog.findChild(QPushButton, "launchDeveloper")
        assert developer is not None and developer.isVisible()
        menu = developer.menu()
        assert menu is not None
        assert [a.text() for a in menu.actions()] == ["Copy as cURL", "Copy as Python"]


async def test_the_runs_list_says_why_it_is_empty(
    tasks: TaskRunner, fake_server: FakeServer, qtbot: QtBot
) -> None:
    fake_server.always("GET", "/v1/workflows/runs", FakeResponse.of_json([]))
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        session = Session()
        history = RunHistory()
        feed = RunHistoryFeed(session, tasks)  # the history's owner, as the runs owner has it
        feed.bind(history)
        qtbot.addWidget(history)
        history.show()
        await session.use_client(client, ConnectionReport(ConnectionState.CONNECTED, "ok"))
        await tasks.join()
        title = history.findChild(QLabel, "historyStateTitle")
        assert title is not None and title.isVisible()
        assert title.text() == "No runs yet"
        action = history.findChild(QPushButton, "historyStateAction")
        assert action is not None and not action.isVisible()

        # Filtered to nothing: it says so, and one press shows every run again.
        history.search.setText("nothing like this")
        await feed.load()
        assert title.text() == "No runs match"
        assert action.isVisible() and action.text() == "Show all runs"
        action.click()
        assert history.search.text() == ""
        await tasks.join()
        assert title.text() == "No runs yet"
        searches = fake_server.requests_to("GET", "/v1/workflows/runs")
        assert searches[1].query.get("search_key") == ["nothing like this"]
        assert "search_key" not in searches[-1].query


@pytest.fixture
def listening_port() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


async def test_open_in_skyvern_only_where_a_web_ui_answers(listening_port: int) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    assert web_ui_link(f"http://localhost:{closed}/runs/wr_1") is None
    live = f"http://127.0.0.1:{listening_port}/runs/wr_1"
    assert web_ui_link(live) == live
    # Another host is not probed: its link is kept as the server gave it.
    assert web_ui_link("https://app.skyvern.com/runs/wr_1") == "https://app.skyvern.com/runs/wr_1"
    assert web_ui_link(None) is None
