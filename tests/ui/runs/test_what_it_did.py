"""What a run did, in its pane: Inputs, Steps (with lazy thumbnails and the enlarged
viewer), and why it failed. Fast tier, on the fake server; the same on the real server
with real AI runs is in ``test_what_it_did_real.py``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api.models import Workflow, WorkflowRunRequest
from skyvern_desktop.api.models.logins import CredentialType, NewCredential
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.runs.watcher import WatchPolicy
from skyvern_desktop.ui.runs.steps import THUMBS_KEPT
from skyvern_desktop.ui.tasks import TaskRunner
from tests.fakes.client import FakeClient, use_fake
from tests.support.panes import run_pane
from tests.ui.conftest import child, wait_until

pytestmark = pytest.mark.asyncio
FAST = WatchPolicy(first_interval=0.01, error_base=0.01)


def png(width: int = 64, height: int = 36) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(data.data())


def timeline(shots: list[str], failed: bool) -> list[dict[str, Any]]:
    actions = [
        {"action_type": "input_text", "status": "completed", "step_order": 0,
         "action_order": i, "element_id": f"A{i}", "text": f"value {i}",
         "reasoning": f"Fill field {i}", "intention": f"field {i}", "step_id": "stp_1",
         "screenshot_artifact_id": shot,
         "skyvern_element_data": {"attributes": {"placeholder": f"Field {i}"}}}
        for i, shot in enumerate(shots)
    ]  # fmt: skip
    last = {"action_type": "terminate" if failed else "complete", "status": "completed",
            "step_order": 1, "action_order": 0, "reasoning": "Invalid username or password"
            if failed else "Done"}  # fmt: skip
    return [{
        "type": "block", "children": [], "created_at": "2026-12-07T10:00:00",
        "block": {"label": "sign_in", "block_type": "login",
                  "status": "terminated" if failed else "completed",
                  "description": "Signs in to Acme", "actions": [*actions, last],
                  "failure_reason": "Invalid username or password" if failed else None,
                  "created_at": "2026-12-07T10:00:00", "modified_at": "2026-12-07T10:00:12"},
    }]  # fmt: skip


async def started(
    fake: FakeClient, actions: int, *, failed: bool, workflow: Workflow | None = None
) -> str:
    login = await fake.create_credential(
        NewCredential(name="Acme login", credential_type=CredentialType.PASSWORD,
                      credential={"username": "demo", "password": "s3cret-pass"})
    )  # fmt: skip
    workflow = workflow or fake.add_workflow(
        "Sign in to Acme",
        [{"key": "login", "workflow_parameter_type": "credential_id"},
         {"key": "pages", "workflow_parameter_type": "integer", "default_value": 3},
         {"key": "notes", "workflow_parameter_type": "string"}],
    )  # fmt: skip
    run = await fake.run_workflow(WorkflowRunRequest(
        workflow_id=workflow.workflow_permanent_id,
        parameters={"login": login.credential_id, "notes": "first line\nsecond line"},
    ))  # fmt: skip
    shots = [fake.add_artifact(run.run_id, "screenshot_action", png()).artifact_id
             for _ in range(actions)]  # fmt: skip
    fake.set_timeline(run.run_id, timeline(shots, failed))
    fake.add_artifact(run.run_id, "screenshot_final", png(100, 400))  # a full-page capture
    if failed:
        fake.advance(run.run_id, "terminated", failure_reason="Invalid username or password",
                     category="AUTH_FAILURE")  # fmt: skip
    else:
        fake.advance(run.run_id, "completed")
    return run.run_id


async def test_inputs_steps_and_why_it_failed(qtbot: QtBot) -> None:
    fake = FakeClient()
    run_id = await started(fake, 3, failed=True)
    tasks = TaskRunner()
    pane = run_pane(run_id, fake, tasks, policy=FAST)  # type: ignore[arg-type]
    qtbot.addWidget(pane)
    pane.resize(1200, 800)
    pane.show()
    try:
        await pane.tracker.watch()
        await wait_until(lambda: pane.details is not None and pane.steps.steps, within=10)
        await tasks.join()
        # Why it failed, at the top of the Overview.
        why = child(pane, QLabel, "runFailure")
        assert why.isVisible()
        assert why.text() == (
            "Stopped in block “sign_in” at step 4 (Gave up): Invalid username or password"
            " — the site refused the login."
        )
        assert "check the credential" in child(pane, QLabel, "runFailureAdvice").text()
        # The last picture is a full page: fitted to the width, it scrolls; a click enlarges.
        overview = pane.overview
        await wait_until(lambda: overview.tall.isVisible(), within=5)
        assert not overview.frame.isVisible()
        shown = overview.tall_picture.pixmap()
        assert shown.width() == overview.tall.viewport().width()
        assert shown.height() == shown.width() * 4
        assert overview.tall.verticalScrollBar().maximum() > 0
        qtbot.mouseClick(overview.tall_picture, Qt.MouseButton.LeftButton)
        big = child(pane, QDialog, "runOverviewPageDialog")
        big.done(0)
        # Inputs: named and typed as the launcher shows them; the credential by name.
        pane.tabs.setCurrentWidget(pane.inputs)
        table = pane.inputs.model_
        rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(4)]
                for r in range(table.rowCount())}  # fmt: skip
        assert rows["Login"][1:3] == ["credential", f"Acme login ({pane.inputs.rows[0].text})"]
        assert rows["Pages"] == ["Pages", "whole number", "3", "default"]
        assert rows["Notes"][2] == "first line …" and rows["Notes"][3] == ""
        view = pane.inputs.table
        view.setCurrentIndex(table.index(2, 0))
        assert (
            child(pane, QPlainTextEdit, "runInputValue").toPlainText() == "first line\nsecond line"
        )
        child(pane, QPushButton, "runInputCopy").click()
        assert QGuiApplication.clipboard().text() == "first line\nsecond line"
        assert "s3cret-pass" not in " ".join(str(r) for r in rows.values())
        # Steps: the block, its actions in words, the selected one's reasoning.
        pane.tabs.setCurrentWidget(pane.steps)
        steps = pane.steps
        assert [s.words for s in steps.steps] == [
            "Typed into Field 0",
            "Typed into Field 1",
            "Typed into Field 2",
            "Gave up",
        ]
        steps.select_step(1)
        assert child(pane, QLabel, "runStepReasoning").text() == "Fill field 1"
        assert child(pane, QLabel, "runStepTyped").text() == "value 1"
        await wait_until(lambda: steps.detail.shot.image() is not None, within=5)
        await wait_until(lambda: steps.thumbnails_shown() == 3, within=5)
        # A click enlarges it; the arrow keys step through the actions.
        steps.detail.shot.clicked.emit()
        viewer = pane.viewer
        assert viewer is not None and viewer.index == 1
        await wait_until(lambda: viewer.frame.image() is not None, within=5)
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
        assert viewer.index == 2 and "Typed into Field 2" in viewer.words.text()
        qtbot.keyClick(viewer, Qt.Key.Key_Right)  # the last action has no picture
        assert viewer.index == 2
        qtbot.keyClick(viewer, Qt.Key.Key_Left)
        assert viewer.index == 1 and steps.current_index() == 1
        viewer.done(QDialog.DialogCode.Accepted)
        # For developers: the step's raw JSON.
        steps._show_json()
        dialog = child(pane, QDialog, "runStepJson")
        assert (
            '"reasoning": "Fill field 1"'
            in child(dialog, QPlainTextEdit, "runStepJsonText").toPlainText()
        )
        dialog.done(0)
        # Closed: none of the pane's reading goes on (the Steps tab's own tasks included).
        fake.latency = 30  # the screenshot is still being read when the pane closes
        steps.pictures.full.clear()
        steps.select_step(0)
        await asyncio.sleep(0.01)
        assert f"pane.thumbs.{run_id}.detail" in tasks.names
        pane.stop()
        await asyncio.sleep(0.01)  # the cancelled tasks end at their next step
        assert not [n for n in tasks.names if n.startswith("pane.")]
    finally:
        pane.stop()
        await tasks.aclose()


async def test_thumbnails_load_only_on_screen_and_stay_bounded(qtbot: QtBot) -> None:
    fake = FakeClient()
    run_id = await started(fake, 150, failed=False)
    tasks = TaskRunner()
    pane = run_pane(run_id, fake, tasks, policy=FAST)  # type: ignore[arg-type]
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    try:
        await pane.tracker.watch()
        await wait_until(lambda: len(pane.steps.steps) == 151, within=10)
        await tasks.join()
        assert pane.steps.pictures.reads == 0  # the Steps tab was not shown
        assert pane.overview.why.isHidden()  # it completed: nothing went wrong
        pane.tabs.setCurrentWidget(pane.steps)
        steps = pane.steps
        await wait_until(lambda: steps.thumbnails_shown() > 0, within=5)
        await tasks.join()
        on_screen = len(steps.visible_steps())
        assert 0 < steps.pictures.reads <= on_screen + 1 < 150
        bar = steps.tree.verticalScrollBar()
        for value in range(0, bar.maximum() + 1, max(1, bar.pageStep())):
            bar.setValue(value)
            await asyncio.sleep(0.05)  # the thumbnails are asked for after 30 ms
            await tasks.join()
        bar.setValue(bar.maximum())
        await wait_until(lambda: 150 - 1 in steps._decorated, within=5)
        assert steps.thumbnails_shown() <= THUMBS_KEPT
        assert len(steps.pictures.thumbs) <= THUMBS_KEPT
        assert steps.tree.indexAt(QPoint(5, 5)).isValid()
    finally:
        pane.stop()
        await tasks.aclose()


async def test_compare_two_runs_from_the_history_and_from_a_failed_pane(
    no_keyring: KeyStore, qtbot: QtBot
) -> None:
    fake = FakeClient()
    good = await started(fake, 3, failed=False)
    workflow = Workflow.model_validate(fake.runs[good].workflow)
    bad = await started(fake, 3, failed=True, workflow=workflow)  # the same workflow
    other = fake.add_workflow("Something else")
    elsewhere = (await fake.run_workflow(WorkflowRunRequest(
        workflow_id=other.workflow_permanent_id))).run_id  # fmt: skip
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    app.window.show()
    try:
        await use_fake(app.session, fake)
        await app.window.workflows.wait_loaded()
        app.window.show_page("runs")
        history = app.window.runs.history
        await wait_until(lambda: history.model.rowCount() >= 3, within=10)
        compare_button = child(history, QPushButton, "historyCompare")
        assert not compare_button.isEnabled()
        ids = [r.workflow_run_id for r in history.model.runs]
        selection = history.table.selectionModel()
        for run_id in (good, bad):
            selection.select(
                history.model.index(ids.index(run_id), 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
        assert compare_button.isEnabled()
        compare_button.click()
        await wait_until(
            lambda: app.runs.comparisons,
            within=10,
            what=f"the compare window ({app.window.message.text()})",
        )
        view = app.runs.comparisons[-1]
        assert (view.comparison.a.run_id, view.comparison.b.run_id) == (good, bad)
        pair = view.comparison.divergence
        assert pair is not None and pair.step_a is not None and pair.step_b is not None
        assert (pair.step_a.words, pair.step_b.words) == ("Finished", "Gave up")
        row = view.steps.currentIndex().row()
        assert row == view.comparison.diverges_at
        assert view.steps_model.item(row, 0).text() == "▶ first difference"
        await wait_until(lambda: view.picture_b.image() is not None, within=5)
        assert "first differ in block “sign_in”" in view.summary.text()
        view.close()
        # Runs of two workflows: refused in one sentence, in the status bar.
        app.runs.compare_runs(good, elsewhere)
        await app.tasks.join()
        assert "different workflows" in app.window.message.text()
        # A failed run's pane offers the comparison with the last completed run.
        app.runs.open_run(bad)
        pane = app.window.runs.panes[bad]
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=10)
        button = child(pane, QPushButton, "runCompare")
        assert button.isVisible()
        button.click()
        await wait_until(lambda: app.runs.comparisons, within=10)
        assert app.runs.comparisons[-1].comparison.a.run_id == good
        app.runs.comparisons[-1].close()
    finally:
        await app.aclose()
