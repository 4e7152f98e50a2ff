"""Batch rules without a server: which column feeds which input, the checks, titles, the
store's crash recovery, the remembered mapping, and the export's columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from skyvern_desktop.api.models import WorkflowParameter
from skyvern_desktop.core.batch import export as batch_export
from skyvern_desktop.core.batch.rows import (
    BatchRow,
    InputSource,
    RowState,
    SourceKind,
    auto_map,
    check_rows,
    check_template,
    check_texts,
    fit_mapping,
    input_texts,
    problems_text,
    render_title,
)
from skyvern_desktop.core.batch.store import BatchState, BatchStore
from skyvern_desktop.core.forms.params import FieldSpec, specs_for


def _specs() -> list[FieldSpec]:
    params: list[dict[str, object]] = [
        {"key": "customer_name", "workflow_parameter_type": "string"},
        {"key": "amount", "workflow_parameter_type": "integer"},
        {"key": "rush", "workflow_parameter_type": "boolean", "default_value": False},
        {"key": "notes", "workflow_parameter_type": "string", "default_value": "none"},
    ]
    return specs_for(
        [WorkflowParameter.model_validate({"parameter_type": "workflow", **p}) for p in params]
    )


def test_inputs_find_their_columns_by_key_or_title_ignoring_case_and_spaces() -> None:
    mapping = auto_map(_specs(), ("Customer Name", "AMOUNT", "Something else"))
    assert mapping["customer_name"] == InputSource(SourceKind.COLUMN, "Customer Name")
    assert mapping["amount"] == InputSource(SourceKind.COLUMN, "AMOUNT")
    assert mapping["rush"].kind is SourceKind.DEFAULT


def test_a_remembered_mapping_applies_where_the_file_has_its_columns() -> None:
    saved = {
        "amount": InputSource(SourceKind.COLUMN, "Total"),
        "rush": InputSource(SourceKind.FIXED, "yes"),
        "notes": InputSource(SourceKind.COLUMN, "Gone column"),
    }
    fitted = fit_mapping(saved, _specs(), ("customer_name", "Total"))
    assert fitted["amount"] == InputSource(SourceKind.COLUMN, "Total")
    assert fitted["rush"] == InputSource(SourceKind.FIXED, "yes")
    assert fitted["notes"].kind is SourceKind.DEFAULT  # not in this file: the default


def test_each_row_is_checked_by_the_launchers_rules() -> None:
    specs = _specs()
    headers = ("customer_name", "amount", "rush")
    mapping = auto_map(specs, headers)
    texts = input_texts(specs, mapping, headers, ("Acme", "1.5", "perhaps"))
    params, errors = check_texts(specs, texts)
    assert errors == {
        "amount": "Enter a whole number, like 3 or -12 (not 1.5).",
        "rush": "Choose yes or no.",
    }
    texts = input_texts(specs, mapping, headers, ("", "12", "")) | {"notes": ""}
    params, errors = check_texts(specs, texts)
    assert errors == {"customer_name": "Customer name is required."}  # an empty cell
    assert params == {"amount": 12}  # empty optional cells: the workflow's defaults
    edited = input_texts(specs, mapping, headers, ("Acme", "x", "no"), {"amount": "7"})
    assert check_texts(specs, edited) == (
        {"customer_name": "Acme", "amount": 7, "rush": False, "notes": "none"}, {}
    )  # fmt: skip
    assert problems_text(1) == "1 row has problems." and problems_text(3).startswith("3 rows")


def test_titles_from_a_template() -> None:
    headers = ("Customer", "Order no")
    assert render_title("Invoice {row} for {customer}", 4, headers, ("Acme", "9")) == (
        "Invoice 4 for Acme"
    )
    assert render_title("{Order No} / {{literal}}", 1, headers, ("Acme", "9")) == ("9 / {literal}")
    assert check_template("{Nope}", headers).startswith("There is no column “Nope”")
    assert check_template("{row", headers).startswith("The title cannot be read")
    assert check_template("{row} {Customer}", headers) == ""


def test_a_fix_made_in_the_preview_is_what_the_title_the_table_and_the_export_show(
    tmp_path: Path,
) -> None:
    specs = _specs()
    headers = ("customer_name", "amount", "Ref")
    mapping = auto_map(specs, headers) | {"rush": InputSource(SourceKind.FIXED, "yes")}
    rows = (("Acme", "x", "A-1"), ("Bolt", "3"))  # the second row is short a cell
    edits = {0: {"amount": "7", "rush": "no"}, 1: {"customer_name": "Bolt Ltd"}}
    checked, problem = check_rows(specs, mapping, headers, rows, edits, "{customer_name} {amount}")
    assert problem == ""
    assert checked[0].cells == ("Acme", "7", "A-1")  # "rush" has no column: nothing written
    assert checked[0].params["amount"] == 7 and checked[0].params["rush"] is False
    assert checked[0].title == "Acme 7"
    assert checked[1].cells == ("Bolt Ltd", "3") and checked[1].title == "Bolt Ltd 3"
    path = tmp_path / "out.csv"
    batch_export.write(
        path, headers, [BatchRow(c.index, c.cells, c.params, title=c.title) for c in checked]
    )
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert [r[:3] for r in table[1:]] == [["Acme", "7", "A-1"], ["Bolt Ltd", "3", ""]]


def _rows(n: int) -> list[BatchRow]:
    return [BatchRow(index=i, cells=(f"r{i}",), params={"name": f"r{i}"}) for i in range(n)]


def test_a_batch_running_when_the_app_died_reopens_paused_and_its_starting_rows_may_have_started(
    tmp_path: Path,
) -> None:
    store = BatchStore(tmp_path / "b.sqlite3")
    rows = _rows(3)
    info = store.create(
        base_url="http://x", workflow_permanent_id="wpid_1", workflow_title="T", source="s",
        headers=("name",), mapping={}, options={"max_elapsed_time_minutes": 5},
        title_template="", concurrency=2, rows=rows,
    )  # fmt: skip
    rows[0].state, rows[0].run_id = RowState.RUNNING, "wr_1"
    rows[1].state = RowState.STARTING
    store.save_row(info.batch_id, rows[0])
    store.save_row(info.batch_id, rows[1])
    store.close()  # the process ends here (a kill -9 commits nothing more)

    again = BatchStore(tmp_path / "b.sqlite3")
    assert again.reopen_after_crash(info.batch_id) == [1]
    back = again.get(info.batch_id)
    assert back is not None and back.state is BatchState.PAUSED
    assert back.options == {"max_elapsed_time_minutes": 5}
    assert [(r.state, r.run_id) for r in again.rows(info.batch_id)] == [
        (RowState.RUNNING, "wr_1"), (RowState.MAYBE, None), (RowState.PENDING, None),
    ]  # fmt: skip
    again.remember_mapping("wpid_1", {"name": InputSource(SourceKind.FIXED, "x")}, "{row}")
    assert again.remembered_mapping("wpid_1") == (
        {"name": InputSource(SourceKind.FIXED, "x")}, "{row}"
    )  # fmt: skip
    again.close()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_writes_inputs_then_results_then_each_output_key(
    tmp_path: Path, suffix: str
) -> None:
    rows = _rows(2)
    rows[0].state, rows[0].run_id, rows[0].status = RowState.DONE, "wr_1", "completed"
    rows[0].output = {"total": 12, "lines": [{"a": 1}], "note": "=SUM(A1)"}
    rows[1].state, rows[1].errors = RowState.SKIPPED, {"name": "Name is required."}
    path = tmp_path / f"out{suffix}"
    batch_export.write(path, ("name",), rows)
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f))
    else:
        from skyvern_desktop.core.batch.sheets import read_xlsx

        book = read_xlsx(path)
        table = [list(book.headers), *map(list, book.rows)]
    assert table[0] == [
        "name", "run id", "status", "failure reason", "started", "finished",
        "total", "lines", "note",
    ]  # fmt: skip
    assert table[1][:3] == ["r0", "wr_1", "completed"]
    assert table[1][6:8] == ["12", '[{"a": 1}]']
    assert table[1][8] in ("=SUM(A1)", "'=SUM(A1)")  # never a live formula in Excel
    assert table[2][:4] == ["r1", "", "skipped", "Name is required."]


def test_extra_headers_are_never_written_and_a_reopened_batch_says_they_are_gone(
    tmp_path: Path,
) -> None:
    import asyncio

    from skyvern_desktop.core.batch.runner import BatchRunner

    token = "Bearer s3cr3t-token-value"
    store = BatchStore(tmp_path / "b.sqlite3")
    info = store.create(
        base_url="http://x", workflow_permanent_id="wpid_1", workflow_title="T", source="s",
        headers=("name",), mapping={}, options={"extra_http_headers": {"Authorization": token}},
        title_template="", concurrency=1, rows=_rows(2),
    )  # fmt: skip
    assert info.options["extra_http_headers"] == {"Authorization": token}  # in memory
    store.close()
    assert token.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    again = BatchStore(tmp_path / "b.sqlite3")
    again.reopen_after_crash(info.batch_id)
    back = again.get(info.batch_id)
    assert back is not None

    async def runner() -> BatchRunner:
        return BatchRunner(again, back, again.rows(back.batch_id), None, lambda _i: None)  # type: ignore[arg-type]

    made = asyncio.run(runner())
    assert made.problem is not None and "Authorization" in made.problem
    assert made.state is BatchState.PAUSED
    again.close()
