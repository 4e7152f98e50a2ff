"""Verification codes and webhooks, from the app's windows, against the real server (and a
fake one for the replay faults the real server will not produce on demand)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui.codes.dialog import CodeDialog
from skyvern_desktop.ui.tasks import TaskRunner
from tests.api.support import API_KEY, run_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, http_block, wait_block, wait_for_run
from tests.realserver import RealServer, WebhookReceiver
from tests.support.panes import run_pane
from tests.ui.conftest import connected_app, files_text, message_box, wait_until

pytestmark = pytest.mark.asyncio


def _code_dialog() -> CodeDialog:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, CodeDialog)]
    assert len(found) == 1
    return found[0]


async def test_a_code_is_sent_for_the_run_listed_back_and_never_written_by_the_app(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, tmp_path: Path,
) -> None:  # fmt: skip
    wpid = await workflows.create("Signs in", [], [wait_block(seconds=120)])
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        identifier = f"ops-{tmp_path.name[-12:]}@example.com"
        run = await client.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, totp_identifier=identifier)
        )
        app.runs.open_run(run.run_id)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None, within=30)
        qtbot.mouseClick(pane.code_button, Qt.MouseButton.LeftButton)
        dialog = _code_dialog()
        assert dialog.identifier.text() == identifier  # from the run's own request
        assert dialog.run_label.text() == run.run_id
        # Nothing typed: said at the field, nothing sent, the identifier kept.
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: dialog.content_error.isVisible(), what="the field's error")
        assert dialog.identifier.text() == identifier
        assert await client.list_totp_codes(totp_identifier=identifier) == []

        dialog.content.setPlainText("482913")
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: dialog.sent is not None, what="the code sent")
        assert "482913" in dialog.banner.text() and identifier in dialog.banner.text()
        await wait_until(lambda: dialog.model.rowCount() == 1, what="the code listed")
        assert dialog.model.index(0, 1).data() == "482913"
        assert dialog.model.index(0, 2).data() == run.run_id
        assert dialog.content.toPlainText() == ""  # sent: ready for the next one
        # Asking again brings the same window forward.
        qtbot.mouseClick(pane.code_button, Qt.MouseButton.LeftButton)
        assert _code_dialog() is dialog
        # The File menu's window is for any run.
        app.window.code_action.trigger()
        menus = [
            w for w in QApplication.topLevelWidgets()
            if isinstance(w, CodeDialog) and w.run_id is None
        ]  # fmt: skip
        assert len(menus) == 1 and menus[0].identifier.text() == ""
        await client.cancel_run(run.run_id)  # a run that has ended needs no code
        await wait_until(lambda: not pane.code_button.isVisible(), within=60)
        await app.tasks.join()
    # The app's own files (settings, registry, log) never hold the code.
    assert "482913" not in files_text(Path(os.environ["SKYVERN_DESKTOP_HOME"]))


async def test_the_webhook_tab_sends_again_and_shows_what_the_receiver_got(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, webhook_receiver: WebhookReceiver,
) -> None:  # fmt: skip
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Hooked in app", [], [http_block(url=url)])
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        run = await client.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, webhook_url=webhook_receiver.url)
        )
        await wait_for_run(client, run.run_id, within=60)
        app.runs.open_run(run.run_id)
        pane = app.window.runs.panes[run.run_id]
        pane.tabs.setCurrentWidget(pane.webhook)
        tab = pane.webhook
        await wait_until(lambda: tab.send.isEnabled(), within=30, what="the button")
        assert tab.address.text() == webhook_receiver.url
        # An address the server cannot use is said at the field, and not sent to.
        tab.target.setText("ftp://example.com/hook")
        assert tab.target_note.isVisible() and not tab.send.isEnabled()
        tab.target.clear()
        before = len(webhook_receiver.requests)
        qtbot.mouseClick(tab.send, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(tab.send, Qt.MouseButton.LeftButton)  # a second press: nothing more
        box = await message_box("confirmReplayWebhook")
        yes = box.findChild(QAbstractButton, "confirmReplayWebhookYes")
        assert yes is not None
        qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
        await wait_until(lambda: tab.last is not None, within=30, what="the replay")
        assert len(webhook_receiver.requests) == before + 1
        assert "202" in tab.result.text() and webhook_receiver.url in tab.result.text()
        assert tab.response.toPlainText() == '{"received": true}'
        _path, headers, body = webhook_receiver.requests[-1]
        assert tab.payload.tree_model.value == json.loads(body)  # the payload it got
        items = [tab.headers.topLevelItem(i) for i in range(tab.headers.topLevelItemCount())]
        shown = {item.text(0): item.text(1) for item in items if item is not None}
        assert shown and all(headers[k.lower()] == v for k, v in shown.items())
        await app.tasks.join()


async def test_the_launcher_says_how_the_server_treats_a_webhook_and_tests_it(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, webhook_receiver: WebhookReceiver,
) -> None:  # fmt: skip
    wpid = await workflows.create("Launch hook", [], [http_block(url=real_server.base_url)])
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        dialog = await app.launch.open_launcher(wpid)
        assert dialog is not None
        options = dialog.options
        options.webhook.setText("hooks.example.com/x")  # no scheme
        assert options.webhook_error.isVisible() and not options.webhook_test.isEnabled()
        assert "https://" in options.webhook_error.text()
        assert dialog.build_body() is None
        assert options.webhook.text() == "hooks.example.com/x"  # kept as typed
        options.webhook.setText(webhook_receiver.url)  # loopback, on a self-hosted server
        assert "ALLOWED_HOSTS" in options.webhook_error.text()
        assert options.webhook_test.isEnabled()
        qtbot.mouseClick(options.webhook_test, Qt.MouseButton.LeftButton)
        await wait_until(
            lambda: "answered 202" in options.webhook_result.text(), within=30, what="the test"
        )
        assert len(webhook_receiver.requests) == 1
        body = dialog.build_body()
        assert body is not None and body["webhook_url"] == webhook_receiver.url
        options.webhook.setText("http://127.0.0.1:9/nothing-listens")
        qtbot.mouseClick(options.webhook_test, Qt.MouseButton.LeftButton)
        await wait_until(lambda: "test failed" in options.webhook_result.text(), within=30)
        dialog.reject()
        await app.tasks.join()


async def test_a_replay_the_server_fails_or_cannot_deliver_is_said_plainly(
    fake_server: FakeServer, tasks: TaskRunner, qtbot: QtBot
) -> None:
    fake_server.always(
        "GET", "/v1/runs/wr_1",
        FakeResponse.of_json(run_json(status="completed", run_request={
            "workflow_id": "wpid_1", "webhook_url": "https://hooks.example.com/h"})),
    )  # fmt: skip
    fake_server.always("GET", "/v1/runs/wr_1/timeline", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/runs/wr_1/artifacts", FakeResponse.of_json([]))
    path = "/v1/runs/wr_1/retry_webhook"
    fake_server.enqueue(
        "POST", path,
        FakeResponse.of_json({"detail": "Internal Server Error"}, 500),
        FakeResponse.of_json({
            "run_id": "wr_1", "run_type": "workflow_run",
            "target_webhook_url": "https://hooks.example.com/h", "payload": '{"status": 1}',
            "headers": {"x-skyvern-signature": "abc"}, "status_code": None,
            "latency_ms": 30001, "response_body": None,
            "error": "Request timed out after 30 seconds.",
        }),
    )  # fmt: skip
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks)
        pane.show()
        pane.tracker.start()
        tab = pane.webhook
        await wait_until(lambda: tab.send.isEnabled(), what="the button")
        for _ in range(2):
            tasks.spawn("replay", tab.replay())
            box = await message_box("confirmReplayWebhook")
            yes = box.findChild(QAbstractButton, "confirmReplayWebhookYes")
            assert yes is not None
            qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
            await tasks.join()
            if tab.last is None:
                assert tab.result.text().startswith("The server did not send the webhook")
                assert "Internal Server Error" in tab.result.text()
        assert tab.last is not None and tab.last.error
        assert "timed out after 30 seconds" in tab.result.text()
        assert tab.payload.tree_model.value == {"status": 1}
        assert len(fake_server.requests_to("POST", path)) == 2
        assert pane.run is not None and pane.run.status == RunStatus.COMPLETED
        pane.stop()
        pane.tracker.stop()
        pane.deleteLater()


async def test_a_form_screenshot_does_not_wait_for_a_run_that_waits_for_hours(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, tmp_path: Path,
) -> None:  # fmt: skip
    from skyvern_desktop.ui import screenshot

    long_run = await workflows.create("Takes hours", [], [wait_block(seconds=600)])
    form = await workflows.create("Form to show", [], [http_block(url=real_server.base_url)])
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        run = await client.run_workflow(WorkflowRunRequest(workflow_id=long_run))
        app.runs.open_run(run.run_id)  # a pane watching it, as one restored from last time
        target = tmp_path / "launch.png"
        code = await asyncio.wait_for(screenshot.take(app, target, "launch", form), 60)
        assert code == 0 and target.stat().st_size > 0
        assert app.session.client is not None  # the screenshot mode connected anew
        await app.session.client.cancel_run(run.run_id)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        for dialog in list(app.launch.forms):
            dialog.reject()
        await app.tasks.join()
