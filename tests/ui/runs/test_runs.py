"""Run panes: watched live to the end, results shown, actions work, and nothing is lost."""

from __future__ import annotations

import base64

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.runs.failure import category_words
from skyvern_desktop.core.runs.watcher import WatchPolicy
from skyvern_desktop.ui.runs.pane import local_path
from skyvern_desktop.ui.tasks import TaskRunner
from tests.api.support import API_KEY, run_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, http_block, wait_block, wait_for_run
from tests.realserver import RealServer
from tests.support.panes import run_pane
from tests.ui.conftest import app_on, child, message_box, wait_until

pytestmark = pytest.mark.asyncio

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


async def test_a_launched_run_opens_in_a_pane_and_is_watched_to_the_end(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory,
) -> None:  # fmt: skip
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Paned", [], [wait_block(seconds=2), http_block(url=url)])
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.client is not None
        started = await app.session.client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(started)  # what the launcher's run_started does
        pane = app.window.runs.panes[started.run_id]
        assert app.window.current_page() == "runs"
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        await app.tasks.join()
        assert pane.badge.status == RunStatus.COMPLETED
        assert pane.badge.text() == "Completed"
        tree = pane.output.tree_model
        assert tree.value["fetch_output"]["response_body"] == {"version": real_server.version}
        top = [tree.index(r, 0).data() for r in range(tree.rowCount())]
        assert "fetch_output" in top
        assert pane.steps.model_.rowCount() == 2  # the wait block and the http block
        # The user is told: in the status bar always, and by the tray where there is one.
        assert app.window.message.text() == f"Run completed: {started.run_id}"
        entry = app.registry.get(real_server.base_url, started.run_id)
        assert entry is not None
        assert (entry.pane_open, entry.terminal, entry.status) == (True, True, "completed")
        app.window.runs.close_run(started.run_id)
        closed = app.registry.get(real_server.base_url, started.run_id)
        assert closed is not None
        assert not closed.pane_open
    finally:
        await app.aclose()


async def test_panes_come_back_after_a_restart_and_finish(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory,
) -> None:  # fmt: skip
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Survives", [], [wait_block(seconds=4), http_block(url=url)])
    first = app_on(monkeypatch, real_server, no_keyring)
    await first.connect_initial(interactive=False)
    assert first.session.client is not None
    run = await first.session.client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    first.runs.open_run(run.run_id, workflow_permanent_id=wpid)
    await (
        first.aclose()
    )  # quit while it is still running (see tests/core/test_registry for kill -9)

    second = app_on(monkeypatch, real_server, no_keyring)
    try:
        await second.connect_initial(interactive=False)
        assert run.run_id in second.window.runs.panes
        pane = second.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=60)
        assert pane.run is not None
        assert pane.run.status == RunStatus.COMPLETED
        await second.tasks.join()
    finally:
        await second.aclose()


async def test_cancel_asks_first_and_retry_opens_a_new_pane(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await workflows.create("Cancel me", [], [wait_block(seconds=120)])
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        app.window.show()
        await app.connect_initial(interactive=False)
        assert app.session.client is not None
        run = await app.session.client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        await wait_for_run(app.session.client, run.run_id, until="running", within=60)
        app.runs.open_run(run.run_id)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None and pane.cancel_button.isVisible())
        qtbot.mouseClick(pane.cancel_button, Qt.MouseButton.LeftButton)
        box = await message_box("confirmCancelRun")
        qtbot.mouseClick(child(box, QPushButton, "confirmCancelRunYes"), Qt.MouseButton.LeftButton)
        await wait_until(lambda: pane.badge.status == RunStatus.CANCELED, within=30)
        await wait_until(lambda: pane.retry_button.isEnabled())
        qtbot.mouseClick(pane.retry_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: len(app.window.runs.panes) == 2, what="the retried run's pane")
        new_id = next(r for r in app.window.runs.panes if r != run.run_id)
        assert new_id.startswith("wr_")
        # The retried run is remembered at once, like any opened run: an app killed now
        # (nothing closed, nothing flushed) shows its pane again on the next start.
        entry = app.registry.get(real_server.base_url, new_id)
        assert entry is not None and entry.pane_open
        assert entry.workflow_permanent_id == wpid
        after_kill = app_on(monkeypatch, real_server, no_keyring)
        try:
            await after_kill.connect_initial(interactive=False)
            assert new_id in after_kill.window.runs.panes
        finally:
            await after_kill.aclose()
        await app.session.client.cancel_run(new_id)
        await app.tasks.join()
    finally:
        await app.aclose()


async def test_failure_reason_and_presigned_screenshots_without_the_key(
    qtbot: QtBot, fake_server: FakeServer, other_server: FakeServer
) -> None:
    shot = f"{other_server.url}/bucket/shot.png?X-Amz-Signature=abc"
    other_server.always(
        "GET", "/bucket/shot.png", FakeResponse(body=PNG, headers={"content-type": "image/png"})
    )
    fake_server.enqueue(
        "GET", "/v1/runs/wr_1",
        FakeResponse.of_json(run_json("wr_1", status="running")),
        FakeResponse(status=503),  # an outage in the middle
        FakeResponse.of_json(run_json(
            "wr_1", status="failed", failure_reason="The login page did not load.",
            screenshot_urls=[shot], recording_url=f"{other_server.url}/bucket/rec.mp4",
            downloaded_files=[{"url": f"{other_server.url}/bucket/report.csv",
                               "filename": "report.csv", "file_size": 2048}],
        )),
    )  # fmt: skip
    fake_server.always("GET", "/v1/runs/wr_1/timeline", FakeResponse.of_json([]))
    tasks = TaskRunner()
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane(
            "wr_1", client, tasks, policy=WatchPolicy(first_interval=0.01, error_base=0.01)
        )
        qtbot.addWidget(pane)
        pane.show()
        final = await pane.tracker.watch()
        await tasks.join()
    assert final is not None
    assert pane.overview.failure.isVisible()
    assert "The login page did not load." in pane.overview.failure.text()
    assert pane.badge.text() == "Failed"
    assert pane.screenshot_count == 1
    assert pane.save_recording.isEnabled()
    assert "ready" in pane.recording.text()  # it loads when its tab is first shown
    assert pane.files_model.item(0, 0).text() == "report.csv"
    assert pane.files_model.item(0, 1).text() == "2 KB"
    assert not pane.cancel_button.isVisible()  # the run has ended
    assert other_server.requests
    assert all(r.header("x-api-key") is None for r in other_server.requests)
    http = [r for r in fake_server.requests if not r.path.startswith("/api/v1/stream/")]
    assert all(r.header("x-api-key") == API_KEY for r in http)
    # The live view's socket carries the key in its query (the server reads no header there).
    streams = [r for r in fake_server.requests if r.path == "/api/v1/stream/workflow_runs/wr_1"]
    assert all(r.query["apikey"] == [API_KEY] for r in streams)


async def test_the_history_lists_filters_and_opens_runs(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    url = f"{real_server.base_url}/v1/version"
    ok = await workflows.create("History ok", [], [http_block(url=url)])
    bad = await workflows.create(
        "History bad",
        [],
        [{"block_type": "text_prompt", "label": "think", "prompt": "hi MODEL-OUTAGE"}],
    )
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        app.window.show()
        await app.connect_initial(interactive=False)
        client = app.session.client
        assert client is not None
        good_run = await client.run_workflow(WorkflowRunRequest(workflow_id=ok))
        bad_run = await client.run_workflow(WorkflowRunRequest(workflow_id=bad))
        await wait_for_run(client, good_run.run_id)
        await wait_for_run(client, bad_run.run_id)
        app.window.show_page("runs")
        history = app.window.runs.history
        await app.runs.history.load()
        ids = [r.workflow_run_id for r in history.model.runs]
        assert {good_run.run_id, bad_run.run_id} <= set(ids)
        history.status.setCurrentIndex(history.status.findData("failed"))
        await app.runs.history.load()
        assert bad_run.run_id in [r.workflow_run_id for r in history.model.runs]
        assert all(r.status == RunStatus.FAILED for r in history.model.runs)
        row = [r.workflow_run_id for r in history.model.runs].index(bad_run.run_id)
        history.table.doubleClicked.emit(history.model.index(row, 0))
        assert bad_run.run_id in app.window.runs.panes
        pane = app.window.runs.panes[bad_run.run_id]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=30)
        assert "text_prompt block failed" in pane.overview.failure.text()
        await wait_until(lambda: pane.details is not None, within=10)
        # The server's own category for it, in words, ends the sentence.
        assert pane.details is not None and pane.details.categories
        words = category_words(pane.details.categories[0])
        assert pane.overview.failure.text().endswith(f" — {words}.")
        await app.tasks.join()
    finally:
        await app.aclose()


@pytest.mark.browser
@pytest.mark.usefixtures("require_browser")
async def test_a_real_browser_run_shows_its_screenshots_and_final_recording(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, loopback_page: str,
) -> None:  # fmt: skip
    wpid = await workflows.create(
        "Pane browser", [], [{"block_type": "goto_url", "label": "open", "url": loopback_page}]
    )
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        await app.connect_initial(interactive=False)
        assert app.session.client is not None
        run = await app.session.client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.open_run(run.run_id, workflow_permanent_id=wpid)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=120)
        await app.tasks.join()  # the final recording re-reads, timeline and screenshots
        assert pane.run is not None
        assert pane.run.status == RunStatus.COMPLETED
        assert pane.screenshot_count >= 1  # real PNGs, read from the local server's disk
        assert pane.run.recording_url is not None
        assert pane.run.recording_url.endswith(".mp4")
        video = local_path(pane.run.recording_url)
        assert video is not None
        assert video.is_file()
        assert "ready" in pane.recording.text()  # it loads when its tab is first shown
        assert pane.save_recording.isEnabled()
    finally:
        await app.aclose()
