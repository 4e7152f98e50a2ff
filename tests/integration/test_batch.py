"""Batch runs against the real server: rows checked by the launcher's rules, each valid
row run exactly once, watched in pages, exported."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.core.batch import export as batch_export
from skyvern_desktop.core.batch.rows import (
    BatchRow,
    RowState,
    auto_map,
    check_texts,
    input_texts,
    render_title,
)
from skyvern_desktop.core.batch.runner import BatchRunner, RunnerPolicy
from skyvern_desktop.core.batch.sheets import Table, read_csv
from skyvern_desktop.core.batch.store import BatchState, BatchStore
from skyvern_desktop.core.forms.params import specs_for
from tests.integration.helpers import WorkflowFactory, param, wait_block
from tests.polling import wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADERS = ("Name", "Count", "Price", "Urgent", "Details", "Page", "Login")


def every_type_parameters() -> list[dict[str, Any]]:
    return [
        param("name", "string"),
        param("count", "integer"),
        param("price", "float", 1.5),
        param("urgent", "boolean", False),
        param("details", "json", {}),
        param("page", "file_url", "https://example.com/a.pdf"),
        param("login", "credential_id"),
    ]


def thirty_rows(credential: str) -> list[list[str]]:
    rows = []
    for i in range(1, 31):
        rows.append(
            [
                f"Customer {i}, “ünïcode”",
                str(i),
                f"{i}.25",
                "yes" if i % 2 else "no",
                json.dumps({"row": i, "tags": ["a", "b"]}),
                f"https://example.com/invoice-{i}.pdf",
                credential,
            ]
        )
    rows[4][1] = "5.5"  # not a whole number
    rows[11][4] = '{"row": 12,'  # not JSON
    rows[22][5] = "not a web address"
    return rows


def plan(specs: Any, table: Table) -> list[BatchRow]:
    mapping = auto_map(specs, table.headers)
    rows = []
    for i, cells in enumerate(table.rows):
        texts = input_texts(specs, mapping, table.headers, cells)
        params, errors = check_texts(specs, texts)
        rows.append(
            BatchRow(
                index=i,
                cells=cells,
                params=params,
                errors=errors,
                title=render_title("Invoice {row} for {Name}", i + 1, table.headers, cells),
                state=RowState.SKIPPED if errors else RowState.PENDING,
            )
        )
    return rows


async def test_thirty_rows_every_type_three_invalid_run_once_and_export(
    client: SkyvernClient, workflows: WorkflowFactory, tmp_path: Path
) -> None:
    credential = await workflows.create_credential("Batch login", "batch@example.com", "pw-1")
    wpid = await workflows.create("Batch every type", every_type_parameters(), [wait_block("w", 1)])
    source = tmp_path / "rows.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(thirty_rows(credential))
    table = read_csv(source)
    workflow = await client.get_workflow(wpid)
    specs = specs_for(workflow.workflow_definition.parameters)
    rows = plan(specs, table)

    bad = {r.index: r.errors for r in rows if r.errors}
    assert bad == {
        4: {"count": "Enter a whole number, like 3 or -12 (not 5.5)."},
        11: {"details": bad[11]["details"]},
        22: {"page": "A web address has no spaces."},
    }
    assert bad[11]["details"].startswith("Not valid JSON:")

    store = BatchStore(tmp_path / "batches.sqlite3")
    info = store.create(
        base_url=client.base_url, workflow_permanent_id=wpid, workflow_title=workflow.title,
        source=table.source, headers=table.headers, mapping=auto_map(specs, table.headers),
        options={}, title_template="Invoice {row} for {Name}", concurrency=5, rows=rows,
    )  # fmt: skip
    changes: list[list[int]] = []
    runner = BatchRunner(store, info, rows, client, changes.append, policy=RunnerPolicy())
    await asyncio.wait_for(runner.run(), timeout=240)

    assert runner.state is BatchState.FINISHED
    assert [r.state for r in rows].count(RowState.SKIPPED) == 3
    done = [r for r in rows if r.state is RowState.DONE]
    assert len(done) == 27
    assert {r.status for r in done} == {"completed"}, [r.failure_reason for r in done]
    server_runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=100)
    assert sorted(r.workflow_run_id for r in server_runs) == sorted(r.run_id or "" for r in done)
    # Each started with its row's own inputs, typed.
    detail = await client.get_run(done[0].run_id or "")
    sent = (detail.run_request or {}).get("parameters")
    assert sent == rows[0].params
    assert rows[0].params["count"] == 1 and rows[0].params["urgent"] is True
    # The store has what the runner has.
    stored = store.rows(info.batch_id)
    assert [(r.state, r.run_id, r.status) for r in stored] == [
        (r.state, r.run_id, r.status) for r in rows
    ]

    out = tmp_path / "results.csv"
    batch_export.write(out, table.headers, stored)
    with out.open(encoding="utf-8-sig", newline="") as f:
        exported = list(csv.reader(f))
    assert exported[0][: len(HEADERS) + 5] == [
        *HEADERS, "run id", "status", "failure reason", "started", "finished",
    ]  # fmt: skip
    by_run = {r.workflow_run_id: str(r.status) for r in server_runs}
    for line, row in zip(exported[1:], stored, strict=True):
        assert line[: len(HEADERS)] == list(row.cells)
        run_id, status = line[len(HEADERS)], line[len(HEADERS) + 1]
        if row.state is RowState.SKIPPED:
            assert run_id == "" and status == "skipped"
        else:
            assert by_run[run_id] == status == "completed"
    xlsx = tmp_path / "results.xlsx"
    batch_export.write(xlsx, table.headers, stored)
    from skyvern_desktop.core.batch.sheets import read_xlsx

    book = read_xlsx(xlsx)  # closes the file (3.12 warns about one left open)
    assert [list(book.headers), *map(list, book.rows)] == exported
    store.close()


def plain_batch(
    client: SkyvernClient, wpid: str, column: str, rows: list[BatchRow], at_once: int, tmp: Path
) -> tuple[BatchStore, BatchRunner]:
    """A stored batch of ``rows`` (one input, one column, no options) and its runner."""
    store = BatchStore(tmp / "batches.sqlite3")
    info = store.create(
        base_url=client.base_url, workflow_permanent_id=wpid, workflow_title=column,
        source="test", headers=(column,), mapping={}, options={}, title_template="",
        concurrency=at_once, rows=rows,
    )  # fmt: skip
    return store, BatchRunner(store, info, rows, client, lambda _i: None)


async def test_retry_failed_starts_new_runs_for_the_failed_rows_only(
    client: SkyvernClient, workflows: WorkflowFactory, loopback_page: str, tmp_path: Path
) -> None:
    from tests.integration.helpers import http_block, string_input

    wpid = await workflows.create("Batch retry", [string_input("endpoint")], [http_block()])
    closed = "http://127.0.0.1:9/nothing-listens"
    rows = [
        BatchRow(index=i, cells=(url,), params={"endpoint": url})
        for i, url in enumerate([loopback_page, closed, loopback_page, closed])
    ]
    store, runner = plain_batch(client, wpid, "endpoint", rows, 4, tmp_path)
    await asyncio.wait_for(runner.run(), timeout=180)
    assert [r.status for r in rows] == ["completed", "failed", "completed", "failed"]
    first = [r.run_id for r in rows]
    assert runner.retry_failed() == [1, 3]
    await asyncio.wait_for(runner.run(), timeout=180)
    assert [r.run_id for r in rows][0::2] == first[0::2]  # the completed ones kept their run
    assert rows[1].earlier_runs == [first[1]] and rows[1].run_id not in first
    server_runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
    assert len(server_runs) == 6  # four, then one more for each failed row
    store.close()


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most spans open at one moment; a span ending when another starts does not overlap."""
    edges = sorted([(end, -1) for _, end in spans] + [(start, 1) for start, _ in spans])
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


async def test_never_more_than_n_at_once_on_the_server_and_a_pause_starts_nothing_until_resumed(
    client: SkyvernClient, workflows: WorkflowFactory, tmp_path: Path
) -> None:
    from tests.integration.helpers import string_input

    assert most_at_once([(0, 2), (2, 4), (4, 6)]) == 1  # end to end is not at once
    assert most_at_once([(0, 5), (1, 2), (1.5, 3), (4, 6)]) == 3
    wpid = await workflows.create(
        "Batch three at once", [string_input("note")], [wait_block("w", 2)]
    )
    rows = [BatchRow(index=i, cells=(f"row {i}",), params={"note": f"row {i}"}) for i in range(9)]
    store, runner = plain_batch(client, wpid, "note", rows, 3, tmp_path)
    task = asyncio.create_task(runner.run(), name="test.batch")

    def started() -> list[BatchRow]:
        return [r for r in rows if r.run_id]

    try:
        await wait_until(lambda: len(started()) >= 3, within=60, what="three rows started")
        runner.pause()  # each run waits 2 s, so no slot has freed yet
        assert len(started()) == 3 and runner.state is BatchState.PAUSED
        await wait_until(
            lambda: all(r.state is RowState.DONE for r in started()), within=90, what="three done"
        )
        await asyncio.sleep(3.0)  # slots are free, but a paused batch starts nothing
        held = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
        assert len(held) == 3 and len(started()) == 3
        assert not task.done()  # paused, not finished
        runner.resume()
        await asyncio.wait_for(task, timeout=180)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await runner.aclose()
    assert runner.info.state is BatchState.FINISHED
    assert [r.status for r in rows] == ["completed"] * 9
    server_runs = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
    assert sorted(r.workflow_run_id for r in server_runs) == sorted(r.run_id or "" for r in rows)
    # The server's own times: from a run's creation to its end it held one of the N slots.
    spans = [
        (r.created_at.timestamp(), (r.finished_at or r.modified_at).timestamp())
        for r in server_runs
    ]
    assert most_at_once(spans) == 3
    store.close()
