"""What a run did, on the real server with real AI runs (the ``ai_runs`` fixture: a real
Skyvern server whose model is the scripted one on loopback): the inputs with a credential,
the steps of a login run with the password nowhere in the window or on disk, AUTH_FAILURE
and LLM_ERROR explained, the history's filters and export matching the server, and a real
success compared with a real failure of the same workflow."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTreeView,
    QWidget,
)

from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui.runs.pane import RunPane
from tests.realserver import RealServer
from tests.support.ai_runs import WRONG_PASSWORD, AiRuns
from tests.support.ai_site import ACCEPTED_PASSWORD, PRODUCT_PRICE
from tests.ui.conftest import connected_app, files_text, shot, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser, pytest.mark.asyncio]


def model_text(
    model: QAbstractItemModel, parent: QModelIndex | None = None, *, tree: bool, depth: int = 0
) -> list[str]:
    """A model's texts; a tree's children too (only a tree's: some table models, such as
    a calendar's, answer every parent with their row count)."""
    parent = parent or QModelIndex()
    out: list[str] = []
    for row in range(model.rowCount(parent)):
        for col in range(model.columnCount(parent)):
            index = model.index(row, col, parent)
            for role in (0, 3):  # display, tooltip
                value = index.data(role)
                if value is not None:
                    out.append(str(value))
        first = model.index(row, 0, parent)
        if tree and depth < 20 and model.rowCount(first) > 0:
            out.extend(model_text(model, first, tree=tree, depth=depth + 1))
    return out


def window_text(root: QWidget) -> str:
    """Every text the widgets under ``root`` show or hold: labels, fields, and the rows of
    every list, table and tree (with their tooltips)."""
    parts: list[str] = []
    for label in root.findChildren(QLabel):
        parts += [label.text(), label.toolTip()]
    for edit in root.findChildren(QLineEdit):
        parts.append(edit.text())
    for box in root.findChildren(QPlainTextEdit):
        parts.append(box.toPlainText())
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        if model is not None:
            try:
                parts += model_text(model, tree=isinstance(view, QTreeView))
            except RuntimeError:  # a model Qt has already deleted (a closed dialog's)
                continue
    return "\n".join(parts)


async def opened(app: object, run_id: str) -> RunPane:
    from skyvern_desktop.app import DesktopApp

    assert isinstance(app, DesktopApp)
    app.runs.open_run(run_id)
    pane = app.window.runs.panes[run_id]
    await wait_until(lambda: pane.details is not None and bool(pane.steps.blocks), within=30)
    await app.tasks.join()
    return pane


async def test_a_real_login_run_inputs_steps_and_no_password_anywhere(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns,
) -> None:  # fmt: skip
    login = ai_runs.login
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        pane = await opened(app, login.run_id)
        # Inputs: the credential by its name, never a secret.
        pane.tabs.setCurrentWidget(pane.inputs)
        rows = {r.key: r for r in pane.inputs.rows}
        credential = next(r for r in rows.values() if r.kind == "credential")
        assert credential.credential_name == login.credential_name
        assert credential.text == login.credential_id
        assert f"{login.credential_name} ({login.credential_id})" in window_text(pane.inputs)
        # Steps: the login block's actions in words, with reasoning and screenshots.
        pane.tabs.setCurrentWidget(pane.steps)
        steps = pane.steps.steps
        words = [s.words for s in steps]
        assert words[-1] == "Finished"
        assert sum(w.startswith("Typed into") for w in words) == 2
        assert any(w.startswith("Clicked") for w in words)
        typed = [s.action.text or "" for s in steps if s.words.startswith("Typed into")]
        assert all(t.startswith("placeholder_") for t in typed), typed
        assert all(s.action.reasoning for s in steps)
        first_typed = words.index(next(w for w in words if w.startswith("Typed into")))
        pane.steps.select_step(first_typed)
        await wait_until(lambda: pane.steps.detail.shot.image() is not None, within=20)
        picture = pane.steps.detail.shot.image()
        assert picture is not None and picture.width() == 1920  # the server's real screenshot
        await wait_until(lambda: pane.steps.thumbnails_shown() > 0, within=20)
        await app.tasks.join()
        shot(pane, "real-login-steps.png")
        # The password: nowhere in the window, nowhere on disk.
        assert ACCEPTED_PASSWORD not in window_text(app.window)
        assert ACCEPTED_PASSWORD not in files_text(Path(os.environ["SKYVERN_DESKTOP_HOME"]))
        assert "Steps" in [pane.tabs.tabText(i) for i in range(pane.tabs.count())]


async def test_auth_failure_and_llm_error_are_explained(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns,
) -> None:  # fmt: skip
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        refused = await opened(app, ai_runs.refused_login.run_id)
        why = refused.overview
        assert why.why.isVisible()
        sentence = why.failure.text()
        assert sentence.startswith("Stopped in block “"), sentence
        assert "(Gave up)" in sentence and "the site refused the login" in sentence
        assert why.advice.text() == (
            "What to try: The site refused the login: check the credential, or its second factor."
        )
        assert refused.details is not None and refused.details.categories[0] == "AUTH_FAILURE"
        assert "Steps used:" in why.failure_details.text()
        assert WRONG_PASSWORD not in window_text(app.window)
        shot(refused, "real-refused-login-overview.png")
        outage = await opened(app, ai_runs.outage.run_id)
        assert outage.details is not None and "LLM_ERROR" in outage.details.categories
        text = outage.overview.failure.text()
        assert text.startswith("Failed in block “") and "the AI model could not be reached" in text
        assert "check the model" in outage.overview.advice.text()


async def test_extracted_data_sits_under_its_block(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns,
) -> None:  # fmt: skip
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        pane = await opened(app, ai_runs.extraction.run_id)
        extracted = [node.extracted for node in pane.steps.nodes if node.extracted is not None]
        assert any(PRODUCT_PRICE in str(value) for value in extracted), extracted
        assert "Extracted: " in window_text(pane.steps)
        assert pane.why is None and not pane.overview.why.isVisible()
        task_v2 = await opened(app, ai_runs.task_v2.run_id)
        thoughts = [t.kind for node in task_v2.steps.nodes for t in node.thoughts]
        assert thoughts, "task_v2's thoughts are shown in their place"


async def test_history_filters_and_export_match_the_server(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns, tmp_path: Path,
) -> None:  # fmt: skip
    login, refused = ai_runs.login, ai_runs.refused_login
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        app.window.show_page("runs")
        history = app.window.runs.history
        await app.runs.history.load()
        history.category.setCurrentIndex(history.category.findData("AUTH_FAILURE"))
        page = await app.runs.history.load()
        assert page is not None
        shown = {r.workflow_run_id for r in page.runs}
        assert refused.run_id in shown and login.run_id not in shown
        for run in page.runs:  # what the server says of each run shown
            detail = await client.get_workflow_run(run.workflow_permanent_id, run.workflow_run_id)
            assert "AUTH_FAILURE" in detail.categories
        history.clear_filters()
        app.runs.set_selected_workflow(login.workflow_id, "Sign in")
        history.scope.setCurrentIndex(1)
        page = await app.runs.history.load()
        assert page is not None
        assert {login.run_id, refused.run_id} <= {r.workflow_run_id for r in page.runs}
        target = tmp_path / "runs.csv"
        assert await app.runs.history.export(target)
        with target.open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        by_id = {r["run id"]: r for r in rows}
        for run_id in (login.run_id, refused.run_id):
            server = await client.get_run(run_id)
            assert by_id[run_id]["status"] == str(server.status)
        credential_column = next(k for k in rows[0] if k.startswith("input: "))
        assert by_id[login.run_id][credential_column] == (
            f"{login.credential_name} ({login.credential_id})"
        )
        assert by_id[refused.run_id]["failure category"] == "the site refused the login"
        text = target.read_text(encoding="utf-8-sig")
        assert ACCEPTED_PASSWORD not in text and WRONG_PASSWORD not in text


async def test_compare_a_real_success_with_a_real_failure(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns,
) -> None:  # fmt: skip
    login, refused = ai_runs.login, ai_runs.refused_login
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        view = await app.runs.open_comparison(login.run_id, refused.run_id)
        assert view is not None
        comparison = view.comparison
        assert [d.key for d in comparison.inputs], "the two credentials differ"
        first = comparison.divergence
        assert first is not None
        assert view.steps.currentIndex().row() == comparison.diverges_at
        await wait_until(
            lambda: view.picture_a.image() is not None and view.picture_b.image() is not None,
            within=20,
        )
        shot(view, "real-compare.png")
        view.close()
        # Runs of two workflows: refused in one sentence.
        assert await app.runs.open_comparison(login.run_id, ai_runs.extraction.run_id) is None
        assert "different workflows" in app.window.message.text()
        await app.tasks.join()


async def test_the_models_prompt_and_the_screenshot_modes(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    ai_runs: AiRuns, tmp_path: Path,
) -> None:  # fmt: skip
    from PySide6.QtGui import QImage

    from skyvern_desktop.ui import screenshot

    login, refused = ai_runs.login, ai_runs.refused_login
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        pane = await opened(app, login.run_id)
        step = next(s for s in pane.steps.steps if s.words.startswith("Typed into"))
        text = await pane._prompt_of(step)  # what For developers → the model's prompt shows
        assert "===== PROMPT" in text and "===== ANSWER" in text
        assert ACCEPTED_PASSWORD not in text  # the model saw a placeholder only
        # --screenshot --view run --tab steps, and --view compare.
        steps_png, compare_png = tmp_path / "steps.png", tmp_path / "compare.png"
        assert await screenshot.take(app, steps_png, "run", None, refused.run_id, tab="steps") == 0
        picture = QImage(str(steps_png))
        assert (picture.width(), picture.height()) == (1280, 800)
        refused_pane = app.window.runs.panes[refused.run_id]
        assert refused_pane.tabs.currentWidget() is refused_pane.steps
        chosen = refused_pane.steps.current_step()
        failed_at = refused_pane.why.step if refused_pane.why is not None else None
        assert failed_at is not None and failed_at.words == "Gave up"
        # The step where it failed, or the last one before it with a picture.
        assert chosen is not None and chosen.screenshot_id
        assert chosen.number <= failed_at.number
        assert await screenshot.take(
            app, compare_png, "compare", None, login.run_id, refused.run_id
        ) == 0  # fmt: skip
        assert not QImage(str(compare_png)).isNull()
        for view in list(app.runs.comparisons):
            view.close()
        await app.tasks.join()
