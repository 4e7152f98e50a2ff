"""The Batches screen against the real server: a spreadsheet checked cell by cell, fixed in
the preview, run, watched, exported; the same rows from XLSX and a paste; a batch reopened
paused after the app was killed, with every row run exactly once."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from skyvern_desktop.core.batch.rows import Bucket, RowState
from skyvern_desktop.core.batch.store import BatchState, BatchStore
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui import screenshot
from skyvern_desktop.ui.batch.setup import BatchSetup
from skyvern_desktop.ui.batch.view import BatchView
from tests.integration.helpers import WorkflowFactory, param, wait_block
from tests.realserver import RealServer
from tests.ui.conftest import child, connected_app, shot, wait_until

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[3]


def _params() -> list[dict[str, object]]:
    return [
        param("customer", "string"),
        param("amount", "integer"),
        param("rush", "boolean", False),
    ]


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Customer", "Amount", "Rush"])
        writer.writerows(rows)


async def _setup(app: object, qtbot: QtBot, wpid: str) -> BatchSetup:
    window = app.window  # type: ignore[attr-defined]
    await window.workflows.wait_loaded()
    window.workflows.select_workflow(wpid)
    button = window.workflows.findChild(QWidget, "workflowBatchButton")
    await wait_until(lambda: button.isEnabled(), within=10)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: window.findChild(BatchSetup, "batchSetup") is not None, within=15)
    setup: BatchSetup = child(window, BatchSetup, "batchSetup")
    assert window.current_page() == "batches"
    return setup


async def test_a_sheet_is_checked_fixed_run_watched_and_exported(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, tmp_path: Path,
) -> None:  # fmt: skip
    wpid = await workflows.create("Invoices", _params(), [wait_block("w", 2)])
    rows = [[f"Client {i}", str(i * 10), "yes" if i % 2 else "no"] for i in range(1, 9)]
    rows[2][1] = "12,5"  # a decimal comma: not a whole number
    rows[5][2] = "maybe"
    source = tmp_path / "invoices.csv"
    _write_csv(source, rows)
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        setup = await _setup(app, qtbot, wpid)
        setup.open_path(source)
        await wait_until(lambda: len(setup.rows) == 8, within=10)
        problems = child(setup, QLabel, "batchProblems")
        assert problems.text().startswith("2 rows have problems.")
        start = child(setup, QPushButton, "batchStart")
        assert not start.isEnabled()  # nothing invalid is sent
        model = setup.model
        amount = model.index(2, model.column_of("amount"))
        assert amount.data(Qt.ItemDataRole.ToolTipRole) == "Enter a whole number, like 3 or -12."
        setup.options.run_title.setText("Invoice {row} for {Customer}")
        shot(setup.window(), "batch-preview.png")
        # Fixed on its cell; the other is left out by "only the rows without problems".
        model.setData(amount, "125")
        assert amount.data(Qt.ItemDataRole.ToolTipRole) is None
        assert problems.text().startswith("1 row has problems.")
        qtbot.mouseClick(setup.findChild(QWidget, "batchOnlyValid"), Qt.MouseButton.LeftButton)
        assert start.isEnabled() and start.text() == "Run 7 rows"
        qtbot.mouseClick(start, Qt.MouseButton.LeftButton)

        view = app.window.findChild(BatchView, "batchView")
        assert view is not None
        await wait_until(lambda: view.runner.tally().get("running", 0) > 0, within=30)
        shot(app.window, "batch-running.png")
        await wait_until(lambda: view.runner.state is BatchState.FINISHED, within=120)
        shot(app.window, "batch-done.png")
        done = view.runner.rows
        assert [r.state for r in done].count(RowState.SKIPPED) == 1
        assert done[2].params["amount"] == 125 and done[2].title == "Invoice 3 for Client 3"
        assert {r.status for r in done if r.state is RowState.DONE} == {"completed"}
        counts = view.counts.text()
        assert "7 completed" in counts and "1 skipped" in counts
        server_runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
        assert sorted(r.workflow_run_id for r in server_runs) == sorted(
            r.run_id or "" for r in done if r.run_id
        )
        # Filter to the skipped row; a double-click on a run opens its pane.
        view.show_bucket(Bucket.SKIPPED)
        assert view.proxy.rowCount() == 1
        view.show_bucket(None)
        # The columns shown are chosen from the header's menu.
        view.table.horizontalHeader().customContextMenuRequested.emit(QPoint(5, 5))
        menu = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "batchColumns")
        title = next(a for a in menu.actions() if a.text() == "Title")
        title.toggle()
        assert view.table.isColumnHidden(view.model.first_input_column + 3)
        menu.close()
        view.table.doubleClicked.emit(view.proxy.index(0, 0))
        await wait_until(lambda: done[0].run_id in app.window.runs.panes, within=10)
        # Export, both kinds.
        for name in ("results.csv", "results.xlsx"):
            await app.batches._export(view.runner, tmp_path / name)
        with (tmp_path / "results.csv").open(encoding="utf-8-sig", newline="") as f:
            exported = list(csv.reader(f))
        assert exported[0][:5] == ["Customer", "Amount", "Rush", "run id", "status"]
        assert [line[3] for line in exported[1:]] == [r.run_id or "" for r in done]
        assert exported[3][4] == "completed" and exported[6][4] == "skipped"
        from skyvern_desktop.core.batch.sheets import read_xlsx

        book = read_xlsx(tmp_path / "results.xlsx")  # closes the file (3.12 warns otherwise)
        assert [list(book.headers), *map(list, book.rows)] == exported


async def test_xlsx_and_a_paste_give_the_same_rows_as_csv(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, tmp_path: Path,
) -> None:  # fmt: skip
    from openpyxl import Workbook

    wpid = await workflows.create("Same rows", _params(), [wait_block("w", 1)])
    rows = [["Zoë, “quoted”", "7", "yes"], ["Line\nbreak", "8", "no"]]
    _write_csv(tmp_path / "a.csv", rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Other"
    data = book.create_sheet("Orders")
    data.append(["Customer", "Amount", "Rush"])
    for row in rows:
        data.append([row[0], int(row[1]), row[2] == "yes"])
    book.save(tmp_path / "a.xlsx")
    pasted = 'Customer\tAmount\tRush\r\nZoë, “quoted”\t7\tyes\r\n"Line\nbreak"\t8\tno\r\n'
    async with connected_app(monkeypatch, real_server, no_keyring) as (app, _client):
        setup = await _setup(app, qtbot, wpid)
        setup.open_path(tmp_path / "a.csv")
        await wait_until(lambda: len(setup.rows) == 2, within=10)
        from_csv = [(r.params, r.errors) for r in setup.rows]
        setup.open_path(tmp_path / "a.xlsx", "Orders")
        await wait_until(lambda: "Orders" in setup.source.text(), within=10)
        assert setup.sheet.count() == 2  # the sheet picker
        assert [(r.params, r.errors) for r in setup.rows] == from_csv
        QApplication.clipboard().setText(pasted)
        qtbot.mouseClick(setup.findChild(QWidget, "batchPaste"), Qt.MouseButton.LeftButton)
        assert setup.source.text().startswith("pasted")
        assert [(r.params, r.errors) for r in setup.rows] == from_csv
        assert from_csv[0][0] == {"customer": "Zoë, “quoted”", "amount": 7, "rush": True}


CHILD = """
import asyncio, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.ui.loop import new_event_loop

async def main() -> None:
    app = DesktopApp(app_paths().ensure(), headless=True, keys=KeyStore())
    await app.connect_initial(interactive=False)
    setup = await app.batches.open_setup(sys.argv[1])
    setup.open_path(Path(sys.argv[2]))
    while len(setup.rows) < int(sys.argv[3]):
        await asyncio.sleep(0.05)
    setup.concurrency.setValue(3)
    setup.findChild(object, "batchStart").click()
    print("started", flush=True)
    await asyncio.Event().wait()  # killed here

qapp = QApplication([])
with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
    runner.run(main())
"""


async def test_killed_mid_batch_reopens_paused_and_runs_every_row_exactly_once(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, qtbot: QtBot, tmp_path: Path,
) -> None:  # fmt: skip
    wpid = await workflows.create("Crash", _params(), [wait_block("w", 3)])
    n = 12
    source = tmp_path / "crash.csv"
    _write_csv(source, [[f"C{i}", str(i), "no"] for i in range(n)])
    env = {
        **os.environ,
        "SKYVERN_BASE_URL": real_server.base_url,
        "SKYVERN_API_KEY": real_server.api_key,
        "QT_QPA_PLATFORM": "offscreen",
    }
    child = subprocess.Popen(  # noqa: ASYNC220 - started once; it is killed, not awaited
        [sys.executable, "-c", CHILD, wpid, str(source), str(n)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        home = Path(os.environ["SKYVERN_DESKTOP_HOME"])
        store_path = home / "data" / "batches.sqlite3"

        def started_some() -> bool:
            if not store_path.exists():
                return False
            store = BatchStore(store_path)
            try:
                batches = store.batches()
                rows = store.rows(batches[0].batch_id) if batches else []
            finally:
                store.close()
            return sum(1 for r in rows if r.state is RowState.RUNNING) >= 3

        await wait_until(started_some, within=90)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # kill -9, mid-batch
        child.wait()
        assert child.stdout is not None
        child.stdout.close()

    async with connected_app(monkeypatch, real_server, no_keyring) as (app, client):
        app.window.show_page("batches")
        await wait_until(lambda: app.batches.runners, within=15)
        runner = next(iter(app.batches.runners.values()))
        assert runner.state is BatchState.PAUSED  # reopened paused
        view = app.batches.views[runner.info.batch_id]
        assert view.resume_button.isVisible()
        shot(app.window, "batch-reopened.png")
        # Rows whose request was on its way when the app died: found on the server or sent.
        for row in [r for r in runner.rows if r.state is RowState.MAYBE]:
            found = [c for c in await runner.find_run(row.index) if c.same_inputs]
            if found:
                runner.take_run(row.index, found[0].run_id)
            else:
                runner.start_again(row.index)
        qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
        await wait_until(lambda: runner.state is BatchState.FINISHED, within=180)
        assert {r.status for r in runner.rows} == {"completed"}
        server_runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
        assert len(server_runs) == n  # every row exactly once
        by_run = {r.workflow_run_id for r in server_runs}
        assert {r.run_id for r in runner.rows} == by_run
        sent = {
            json.dumps((await client.get_run(r.workflow_run_id)).run_request["parameters"])  # type: ignore[index]
            for r in server_runs
        }
        assert len(sent) == n


async def test_the_screenshot_mode_previews_a_sheet_with_its_checks_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, tmp_path: Path,
) -> None:  # fmt: skip
    from tests.ui.conftest import app_on

    wpid = await workflows.create("Preview only", _params(), [wait_block("w", 1)])
    source = tmp_path / "rows.csv"
    _write_csv(source, [["A", "1", "yes"], ["B", "two", "no"]])
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        code = await screenshot.take(app, tmp_path / "batch.png", "batch", wpid, rows=str(source))
        assert code == 0 and (tmp_path / "batch.png").stat().st_size > 10_000
        setup = child(app.window, BatchSetup, "batchSetup")
        assert len(setup.rows) == 2
        assert (
            setup.model.index(1, setup.model.column_of("amount")).data(Qt.ItemDataRole.ToolTipRole)
            == "Enter a whole number, like 3 or -12."
        )
        assert app.batches.store.batches() == []  # nothing was started
        client = app.session.client
        assert client is not None
        assert await client.list_workflow_runs(workflow_permanent_id=wpid) == []
    finally:
        await app.aclose()


@pytest.mark.asyncio
async def test_a_large_sheet_is_checked_off_the_windows_thread_and_an_edit_meanwhile_counts(
    qtbot: QtBot,
) -> None:
    from skyvern_desktop.api import SkyvernClient
    from skyvern_desktop.api.models import Workflow
    from skyvern_desktop.core.batch.sheets import Table
    from skyvern_desktop.ui.batch.setup import LARGE_SHEET
    from skyvern_desktop.ui.tasks import TaskRunner
    from tests.api.support import workflow_json

    definition = workflow_json()["workflow_definition"] | {
        "parameters": [
            {"parameter_type": "workflow", "key": "amount", "workflow_parameter_type": "integer"}
        ]
    }
    workflow = Workflow.model_validate(workflow_json(workflow_definition=definition))
    tasks = TaskRunner()
    client = SkyvernClient("http://127.0.0.1:9", "k")  # never asked: the check is local
    setup = BatchSetup(workflow, client, tasks, ({}, ""))
    qtbot.addWidget(setup)
    n = LARGE_SHEET * 3
    rows = tuple((str(i) if i % 1000 else "x",) for i in range(n))
    setup.set_table(Table(("amount",), rows, "big.csv"))
    assert setup.problems.text().startswith(f"Checking {n:,} rows")
    assert not setup.start_button.isEnabled()
    await wait_until(lambda: len(setup.rows) == n, within=60)
    assert setup.problem_count == n // 1000
    # A fix made while a check runs is not lost to it.
    setup.set_table(Table(("amount",), rows, "big.csv"))
    setup.model.setData(setup.model.index(0, setup.model.column_of("amount")), "5")
    await wait_until(lambda: "ui.batch.setup" not in " ".join(tasks.names), within=60)
    await wait_until(lambda: len(setup.rows) == n and setup.rows[0].params == {"amount": 5},
                     within=60)  # fmt: skip
    assert setup.problem_count == n // 1000 - 1
    await tasks.aclose()
    await client.aclose()
