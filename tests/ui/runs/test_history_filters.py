"""The run history answers "for whom": several workflows at once, a date range, a
failure category, who started the run, input columns per workflow (remembered), and
Export… of the rows shown with their inputs and outputs. Fast tier, the whole app on the
fake server; the real server's answers are in ``test_what_it_did_real.py``."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.runs.history import StartedBy
from tests.fakes.client import FakeClient, use_fake
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


async def test_filters_columns_and_export(
    no_keyring: KeyStore, qtbot: QtBot, tmp_path: Path
) -> None:
    fake = FakeClient()
    invoices = fake.add_workflow(
        "Invoices",
        ["customer", {"key": "pages", "workflow_parameter_type": "integer", "default_value": 2}],
    )
    orders = fake.add_workflow("Orders", ["shop"])
    other = fake.add_workflow("Other")
    run_ids: dict[str, str] = {}
    for name, workflow, params in (
        ("acme", invoices, {"customer": "=ACME"}), ("globex", invoices, {"customer": "Globex"}),
        ("shop", orders, {"shop": "Main street"}), ("other", other, {}),
    ):  # fmt: skip
        run = await fake.run_workflow(WorkflowRunRequest(
            workflow_id=workflow.workflow_permanent_id, parameters=params))  # fmt: skip
        run_ids[name] = run.run_id
    fake.advance(run_ids["acme"], "completed", output={"total": "=1+1"})
    fake.advance(run_ids["globex"], "terminated", failure_reason="Invalid username or password",
                 category="AUTH_FAILURE")  # fmt: skip
    fake.advance(run_ids["shop"], "failed", failure_reason="LLM call failed", category="LLM_ERROR")
    fake.runs[run_ids["other"]].trigger_type = "scheduled"
    fake.runs[run_ids["other"]].workflow_schedule_id = "wfs_1"
    old = datetime.now(UTC) - timedelta(days=30)
    fake.runs[run_ids["shop"]].created_at = old
    app = DesktopApp(app_paths().ensure(), keys=no_keyring)
    app.window.show()
    try:
        await use_fake(app.session, fake)
        await app.window.workflows.wait_loaded()
        assert app.session.client is not None
        app.registry.mark_started_here(app.session.client.base_url, run_ids["acme"])
        app.window.show_page("runs")
        history = app.window.runs.history

        def shown() -> set[str]:
            return {r.workflow_run_id for r in history.model.runs}

        await wait_until(lambda: len(shown()) == 4, within=10)
        # Several workflows at once.
        history.choose_workflows([invoices.workflow_permanent_id, orders.workflow_permanent_id])
        await wait_until(lambda: shown() == {run_ids["acme"], run_ids["globex"], run_ids["shop"]})
        assert history.workflows_button.text() == "Workflows: 2 chosen"
        # A failure category.
        history.category.setCurrentIndex(history.category.findData("AUTH_FAILURE"))
        await wait_until(lambda: shown() == {run_ids["globex"]})
        history.category.setCurrentIndex(0)
        # A date range: the last week leaves out the 30-day-old run.
        today = QDate.currentDate()
        history.set_date_range(today.addDays(-7), today)
        await wait_until(lambda: shown() == {run_ids["acme"], run_ids["globex"]})
        history.clear_filters()
        await wait_until(lambda: len(shown()) == 4)
        # Who started it.
        for who, expected in ((StartedBy.APP, "acme"), (StartedBy.SCHEDULE, "other")):
            history.who.setCurrentIndex(history.who.findData(who))
            wanted = {run_ids[expected]}
            await wait_until(lambda w=wanted: shown() == w, what=lambda: f"{shown()}")  # type: ignore[misc]
        assert history.model.index(0, 3).data() == "⏰ Schedule"
        history.who.setCurrentIndex(history.who.findData(StartedBy.API))
        await wait_until(lambda: shown() == {run_ids["globex"], run_ids["shop"]})
        history.clear_filters()
        # Input columns, for one workflow's runs, remembered.
        app.runs.set_selected_workflow(invoices.workflow_permanent_id, "Invoices")
        history.scope.setCurrentIndex(1)
        await wait_until(lambda: history.columns_button.isEnabled())
        menu = {a.data(): a for a in history.columns_menu.actions()}
        assert set(menu) == {"customer", "pages"}
        menu["customer"].setChecked(True)
        await wait_until(lambda: history.model.columnCount() == 7)
        assert history.model.headerData(6, Qt.Orientation.Horizontal) == "Customer"
        await wait_until(
            lambda: {history.model.index(r, 6).data() for r in range(2)} == {"=ACME", "Globex"}
        )
        assert app.runs.history.chosen_columns(invoices.workflow_permanent_id) == ["customer"]
        # Two runs chosen for Compare stay chosen when the list is read again.
        selection = history.table.selectionModel()
        for row in range(2):
            selection.select(
                history.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
        assert history.compare_button.isEnabled()
        await app.runs.history.load()
        await app.tasks.join()
        assert len(history.selected_runs()) == 2 and history.compare_button.isEnabled()
        # Export… writes the rows shown with their inputs and outputs; web text is inert.
        target = tmp_path / "runs.csv"
        assert await app.runs.history.export(target)
        with target.open(encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        assert header[:4] == ["run id", "workflow", "status", "started by"]
        assert "input: customer" in header and "input: pages" in header
        by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
        acme = by_id[run_ids["acme"]]
        assert acme["input: customer"] == "'=ACME"  # inputs may come from anyone: inert
        assert acme["started by"] == "This app"
        assert by_id[run_ids["globex"]]["failure category"] == "the site refused the login"
        assert app.window.message.text() == "Exported 2 runs to runs.csv."
        assert acme["output: total"] == "'=1+1"  # web text is never a formula
        assert await app.runs.history.export(tmp_path / "runs.xlsx")
        from openpyxl import load_workbook

        sheet = load_workbook(tmp_path / "runs.xlsx").active
        assert sheet is not None
        cells = {str(c.value) for row in sheet.iter_rows() for c in row}
        assert "'=ACME" in cells and "'=1+1" in cells
    finally:
        await app.aclose()
