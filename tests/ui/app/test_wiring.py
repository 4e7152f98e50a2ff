"""The routes ``MainWindow._connect_signals`` wires, driven as a person drives them, on the
whole app with the in-process fake client (fast tier): the Run button to a pane and the
registry, and the other intents of the screens to the owners that answer them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui.launch.dialog import LaunchDialog
from tests.fakes.client import FakeClient, use_fake
from tests.ui.conftest import child, wait_until

pytestmark = pytest.mark.asyncio


@contextlib.asynccontextmanager
async def connected(keys: KeyStore, fake: FakeClient) -> AsyncIterator[DesktopApp]:
    """The whole app, shown and connected to ``fake``; closed (its tasks too) at the end
    of the test's own body, where the ui tests check that nothing is left running."""
    app = DesktopApp(app_paths().ensure(), keys=keys)
    app.window.show()
    try:
        await use_fake(app.session, fake)
        await app.window.workflows.wait_loaded()
        yield app
    finally:
        await app.aclose()


def _top(kind: type[QDialog], name: str) -> QDialog | None:
    return next(
        (w for w in QApplication.topLevelWidgets()
         if isinstance(w, kind) and w.objectName() == name and w.isVisible()),
        None,
    )  # fmt: skip


async def test_run_in_the_launcher_opens_a_pane_and_records_the_run(
    no_keyring: KeyStore, qtbot: QtBot
) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Fetch invoices", ["customer"])
    wpid = workflow.workflow_permanent_id
    async with connected(no_keyring, fake) as app:
        assert app.window.workflows.select_workflow(wpid)
        qtbot.mouseClick(
            child(app.window, QPushButton, "workflowRunButton"), Qt.MouseButton.LeftButton
        )
        await wait_until(lambda: _top(LaunchDialog, "launchDialog"), what="the launcher")
        dialog = _top(LaunchDialog, "launchDialog")
        assert isinstance(dialog, LaunchDialog)
        dialog.inputs.editors["customer"].set_text("ACME")
        qtbot.mouseClick(child(dialog, QPushButton, "launchRun"), Qt.MouseButton.LeftButton)
        await wait_until(lambda: fake.runs, what="the run request")
        [run_id] = fake.runs
        await wait_until(lambda: run_id in app.window.runs.panes, what="the run's pane")
        assert app.window.current_page() == "runs"
        assert app.window.runs.tabs.currentWidget() is app.window.runs.panes[run_id]
        assert len(fake.calls_to("run_workflow")) == 1  # one press, one run
        [request] = fake.run_requests
        assert request.parameters == {"customer": "ACME"}
        entry = app.registry.get(fake.base_url, run_id)
        assert entry is not None and entry.pane_open and entry.workflow_permanent_id == wpid
        assert entry.workflow_title == "Fetch invoices"
        # The owner watches it: its end reaches the pane and the registry, told once.
        fake.advance(run_id, "completed")
        tracker = app.runs.trackers[run_id]
        await wait_until(lambda: tracker.final is not None, within=15, what="the end")
        pane = app.window.runs.panes[run_id]
        await wait_until(lambda: pane.badge.text() == "Completed", what="the badge")
        entry = app.registry.get(fake.base_url, run_id)
        assert entry is not None and entry.terminal and entry.status == "completed"


async def test_a_run_double_clicked_in_the_history_opens_in_a_pane(no_keyring: KeyStore) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Nightly report")
    async with connected(no_keyring, fake) as app:
        from skyvern_desktop.api.models import WorkflowRunRequest

        run = await fake.run_workflow(
            WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id)
        )
        app.window.show_page("runs")
        history = app.window.runs.history
        await wait_until(lambda: history.model.rowCount() == 1, what="the history row")
        history.open_requested.emit(run.run_id, workflow.workflow_permanent_id)
        await wait_until(lambda: run.run_id in app.window.runs.panes, what="the pane")
        assert app.runs.trackers[run.run_id].run_id == run.run_id
        entry = app.registry.get(fake.base_url, run.run_id)
        assert entry is not None and entry.pane_open


async def test_closing_a_pane_stops_its_tracker_and_forgets_it(no_keyring: KeyStore) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Short")
    async with connected(no_keyring, fake) as app:
        from skyvern_desktop.api.models import WorkflowRunRequest

        run = await fake.run_workflow(
            WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id)
        )
        app.runs.open_run(run.run_id, workflow_permanent_id=workflow.workflow_permanent_id)
        tracker = app.runs.trackers[run.run_id]
        await wait_until(lambda: tracker.run is not None, what="the first reading")
        page = app.window.runs
        page.close_run(run.run_id)
        assert run.run_id not in app.runs.trackers
        await wait_until(
            lambda: not [n for n in app.tasks.names if n.endswith(run.run_id)],
            what="no task of the closed run's",
        )
        entry = app.registry.get(fake.base_url, run.run_id)
        assert entry is not None and not entry.pane_open


async def test_run_now_on_a_schedule_opens_its_run_in_a_pane(no_keyring: KeyStore) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Weekly", ["region"])
    wpid = workflow.workflow_permanent_id
    from skyvern_desktop.api.models.schedules import ScheduleUpsert

    made = await fake.create_schedule(
        wpid,
        ScheduleUpsert.model_validate({
            "cron_expression": "0 9 * * 1", "timezone": "UTC", "name": "Mondays",
            "parameters": {"region": "EU"},
        }),
    )  # fmt: skip
    async with connected(no_keyring, fake) as app:
        app.window.show_page("schedules")
        app.window.schedules.run_now_requested.emit(wpid, made.schedule.workflow_schedule_id)
        await wait_until(lambda: fake.runs, what="the run")
        [run_id] = fake.runs
        await wait_until(lambda: run_id in app.window.runs.panes, what="the pane")
        assert fake.run_requests[0].parameters == {"region": "EU"}


async def test_a_batch_rows_run_opens_in_a_pane(no_keyring: KeyStore) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Row by row")
    async with connected(no_keyring, fake) as app:
        from skyvern_desktop.api.models import WorkflowRunRequest

        run = await fake.run_workflow(
            WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id)
        )
        app.batches.run_open_requested.emit(run.run_id)
        await wait_until(lambda: run.run_id in app.window.runs.panes, what="the pane")
        assert app.window.current_page() == "runs"


async def test_rerun_from_a_pane_opens_the_launcher_filled_in(
    no_keyring: KeyStore, qtbot: QtBot
) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Again", ["customer"])
    async with connected(no_keyring, fake) as app:
        from skyvern_desktop.api.models import WorkflowRunRequest

        run = await fake.run_workflow(
            WorkflowRunRequest(
                workflow_id=workflow.workflow_permanent_id, parameters={"customer": "Globex"}
            )
        )
        app.runs.open_run(run.run_id, workflow_permanent_id=workflow.workflow_permanent_id)
        pane = app.window.runs.panes[run.run_id]
        await wait_until(lambda: pane.run is not None, what="the pane's run")
        qtbot.mouseClick(child(pane, QPushButton, "runRerun"), Qt.MouseButton.LeftButton)
        await wait_until(lambda: _top(LaunchDialog, "launchDialog"), what="the launcher")
        dialog = _top(LaunchDialog, "launchDialog")
        assert isinstance(dialog, LaunchDialog)
        await wait_until(
            lambda: dialog.inputs.texts().get("customer") == "Globex", what="the earlier input"
        )
        assert fake.calls_to("run_workflow") == [
            (
                (
                    WorkflowRunRequest(
                        workflow_id=workflow.workflow_permanent_id,
                        parameters={"customer": "Globex"},
                    ),
                ),
                {},
            )
        ]


async def test_run_a_spreadsheet_shows_the_batches_screen(
    no_keyring: KeyStore, qtbot: QtBot
) -> None:
    fake = FakeClient()
    workflow = fake.add_workflow("Sheet", ["customer"])
    async with connected(no_keyring, fake) as app:
        assert app.window.workflows.select_workflow(workflow.workflow_permanent_id)
        qtbot.mouseClick(
            child(app.window, QPushButton, "workflowBatchButton"), Qt.MouseButton.LeftButton
        )
        await wait_until(lambda: app.window.current_page() == "batches", what="the Batches screen")
        await wait_until(lambda: app.batches.setups, what="the batch set-up")
