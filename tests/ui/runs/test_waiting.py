"""Runs that need a person, in the app: noticed, understood and answered from the pane.

Against the real server (a real pause: its human-interaction block emails a real SMTP
server on loopback first), and a fake one for what the real server will not do on demand:
someone else answering first (404), a 5xx, and counting requests exactly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui.runs.controller import RunsController
from skyvern_desktop.ui.runs.pane import RunPane
from skyvern_desktop.ui.runs.waiting import GONE_TEXT
from skyvern_desktop.ui.tasks import TaskRunner
from tests.api.support import API_KEY, run_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, human_workflow_blocks, wait_for_run
from tests.realserver import RealServer
from tests.support.panes import run_pane
from tests.support.server_build import MailBox
from tests.ui.conftest import connected_app, message_box, wait_until

pytestmark = pytest.mark.asyncio


def _count_posts(client: SkyvernClient, suffix: str) -> list[str]:
    """Every POST the client really sends whose path ends with ``suffix``."""
    sent: list[str] = []

    async def hook(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith(suffix):
            sent.append(request.url.path)

    http = client._http  # the one httpx client: its requests are what reaches the server
    http.event_hooks = {**http.event_hooks, "request": [*http.event_hooks["request"], hook]}
    return sent


async def _answer(qtbot: QtBot, button: QAbstractButton, box_name: str) -> None:
    """Double-click the answer, then confirm in the one box it opens."""
    qtbot.mouseDClick(button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # and a third press, for luck
    box = await message_box(box_name)
    yes = box.findChild(QAbstractButton, f"{box_name}Yes")
    assert yes is not None
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)


async def test_a_paused_run_is_noticed_shown_and_approved_with_one_request(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, smtp_server: MailBox, qtbot: QtBot,
) -> None:  # fmt: skip
    blocks = human_workflow_blocks(
        f"{real_server.base_url}/v1/version", instructions="Is the invoice total <b>right</b>?"
    )
    wpid = await workflows.create("Needs me", [], blocks)
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        told: list[tuple[str, str, str]] = []
        app.runs.notified.connect(lambda *args: told.append(args))
        posts = _count_posts(client, "/continue")
        run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(run)
        pane = app.window.runs.panes[run.run_id]
        panel = pane.question
        await wait_until(panel.isVisible, within=60, what="the Waiting for you panel")
        assert pane.tabs.currentWidget() is pane.overview
        assert panel.instructions.text() == "Is the invoice total <b>right</b>?"  # plain text
        assert panel.instructions.textFormat() == Qt.TextFormat.PlainText
        assert (panel.approve.text(), panel.reject.text()) == ("Ship it", "Stop here")
        assert panel.time_left.text().startswith("About 1")  # 15 minutes, less what passed
        assert pane.badge.text() == "Waiting for you"
        # Told once, with what it asks; counted on the Runs button.
        await wait_until(lambda: told, within=30, what="the notification")
        await asyncio.sleep(1)  # and no second one about the same pause
        assert len(told) == 1, told
        title, text, told_run = told[0]
        assert title.endswith("needs you") and told_run == run.run_id
        assert "Is the invoice total" in text
        assert app.window.nav_buttons["runs"].text() == "Runs  (1)"
        await wait_until(lambda: len(smtp_server.received(run.run_id)) == 1, what="the email")

        await _answer(qtbot, panel.approve, "confirmApprove")
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        assert pane.run is not None and pane.run.status == RunStatus.COMPLETED
        assert posts == [f"/v1/workflows/runs/{run.run_id}/continue"]  # one, however pressed
        assert not panel.isVisible()
        await wait_until(lambda: app.window.nav_buttons["runs"].text() == "Runs")
        await wait_until(
            lambda: len(told) == 2,
            within=60,
            what=lambda: (
                f"the end's notice: {told}, {app.window.message.text()!r},"
                f" tasks {app.tasks.names}, reports {[r.message for r in app.reporter.history]}"
            ),
        )
        assert told[1][0] == "Run completed"  # nothing more about the pause
        await app.tasks.join()


async def test_reject_asks_first_then_the_run_ends_canceled(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await workflows.create(
        "Reject in app", [], human_workflow_blocks(f"{real_server.base_url}/v1/version")
    )
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        cancels = _count_posts(client, "/cancel")
        run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(run)
        panel = app.window.runs.panes[run.run_id].question
        await wait_until(panel.isVisible, within=60, what="the Waiting for you panel")
        # Saying no to the confirmation sends nothing.
        qtbot.mouseClick(panel.reject, Qt.MouseButton.LeftButton)
        box = await message_box("confirmReject")
        assert "cannot be resumed" in box.informativeText()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        await wait_until(lambda: panel.reject.isEnabled())
        assert cancels == []
        await _answer(qtbot, panel.reject, "confirmReject")
        done = await wait_for_run(client, run.run_id, within=60)
        assert done.status == RunStatus.CANCELED
        assert cancels == [f"/v1/runs/{run.run_id}/cancel"]
        await wait_until(lambda: not panel.isVisible(), within=30)
        await app.tasks.join()


async def test_a_run_paused_outside_the_app_is_found_counted_and_opened(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    monkeypatch.setattr(RunsController, "WAITING_POLL", 0.5)
    wpid = await workflows.create(
        "Scheduled pause", [], human_workflow_blocks(f"{real_server.base_url}/v1/version")
    )
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        told: list[tuple[str, str, str]] = []
        app.runs.notified.connect(lambda *args: told.append(args))
        # Started by someone else (a schedule, a script): no pane, the app is not watching.
        async with SkyvernClient(real_server.base_url, real_server.api_key) as other:
            run = await other.run_workflow(WorkflowRunRequest(workflow_id=wpid))
            await wait_for_run(other, run.run_id, until=RunStatus.PAUSED, within=60)
        await wait_until(lambda: run.run_id in app.runs.paused, within=30, what="the poll")
        await wait_until(lambda: any(r == run.run_id for *_x, r in told), what="a notice")
        mine = [t for t in told if t[2] == run.run_id]
        assert len(mine) == 1 and "Check the totals" in mine[0][1]
        app.runs.open_noticed()  # what clicking that notification does
        assert run.run_id in app.window.runs.panes
        assert app.window.current_page() == "runs"
        app.window.runs.close_run(run.run_id)
        count = len(app.runs.paused)
        assert app.window.nav_buttons["runs"].text() == f"Runs  ({count})"
        # The Runs button, with a count, opens the runs that wait.
        qtbot.mouseClick(app.window.nav_buttons["runs"], Qt.MouseButton.LeftButton)
        history = app.window.runs.history
        assert history.status.currentText() == "Waiting for me"
        await wait_until(lambda: run.run_id in [r.workflow_run_id for r in history.model.runs])
        assert all(r.status == RunStatus.PAUSED for r in history.model.runs)
        await app.tasks.join()
        row = [r.workflow_run_id for r in history.model.runs].index(run.run_id)
        rect = history.table.visualRect(history.model.index(row, 0))
        # A real double-click: press, release, then the double-click event Qt sends.
        qtbot.mouseClick(history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert run.run_id in app.window.runs.panes
        pane = app.window.runs.panes[run.run_id]
        await wait_until(pane.question.isVisible, within=30, what="its question")
        await wait_until(lambda: len(app.runs.paused) == count)  # still one notice
        assert len([t for t in told if t[2] == run.run_id]) == 1
        await client.cancel_run(run.run_id)
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        await app.tasks.join()


# ---------------------------------------------------------------------- a fake server


def _paused_timeline() -> list[dict[str, Any]]:
    return [
        {
            "type": "block",
            "block": {
                "label": "approval", "block_type": "human_interaction", "status": "running",
                "instructions": "Approve the refund?", "positive_descriptor": "Refund",
                "negative_descriptor": "Keep", "created_at": "2026-12-01T12:00:00Z",
            },
            "children": [],
        }
    ]  # fmt: skip


async def _paused_pane(
    fake_server: FakeServer, client: SkyvernClient, tasks: TaskRunner
) -> RunPane:
    fake_server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json(run_json(status="paused")))
    fake_server.always("GET", "/v1/runs/wr_1/timeline", FakeResponse.of_json(_paused_timeline()))
    fake_server.always("GET", "/v1/runs/wr_1/artifacts", FakeResponse.of_json([]))
    pane = run_pane("wr_1", client, tasks)
    pane.resize(1000, 700)
    pane.show()
    pane.tracker.start()
    await wait_until(pane.question.isVisible, what="the panel")
    return pane


async def test_someone_else_answered_first_or_the_server_fails_said_in_plain_words(
    fake_server: FakeServer, tasks: TaskRunner, qtbot: QtBot
) -> None:
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = await _paused_pane(fake_server, client, tasks)
        panel = pane.question
        assert (panel.approve.text(), panel.reject.text()) == ("Refund", "Keep")
        assert "has passed" in panel.time_left.text()  # its two hours ended long ago
        path = "/v1/workflows/runs/wr_1/continue"
        fake_server.enqueue(
            "POST", path,
            FakeResponse.of_json({"detail": "Workflow run not found wr_1"}, 404),
            FakeResponse.of_json({"detail": "database is locked"}, 503),
        )  # fmt: skip
        await _answer(qtbot, panel.approve, "confirmApprove")
        await wait_until(lambda: panel.message.text() == GONE_TEXT, what="the 404 in words")
        assert panel.approve.isEnabled()  # the person may look and try again
        await _answer(qtbot, panel.approve, "confirmApprove")
        await wait_until(lambda: "database is locked" in panel.message.text(), what="the 503")
        assert panel.message.text().startswith("The server did not take the answer")
        assert len(fake_server.requests_to("POST", path)) == 2  # one per confirmed press
        # Reject reads the run first: one that no longer waits is not cancelled.
        fake_server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json(run_json(status="running")))
        await _answer(qtbot, panel.reject, "confirmReject")
        await wait_until(lambda: panel.message.text() == GONE_TEXT or not panel.isVisible())
        assert fake_server.requests_to("POST", "/v1/runs/wr_1/cancel") == []
        pane.stop()
        pane.tracker.stop()
        pane.deleteLater()


async def test_a_lost_answer_is_never_sent_again(
    fake_server: FakeServer, tasks: TaskRunner, qtbot: QtBot
) -> None:
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = await _paused_pane(fake_server, client, tasks)
        path = "/v1/workflows/runs/wr_1/continue"
        fake_server.enqueue("POST", path, FakeResponse(drop=True))
        await _answer(qtbot, pane.question.approve, "confirmApprove")
        await wait_until(lambda: "did not send it again" in pane.question.message.text())
        assert len(fake_server.requests_to("POST", path)) == 1
        pane.stop()
        pane.tracker.stop()
        pane.deleteLater()
