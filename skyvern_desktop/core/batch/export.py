"""A batch's results as CSV or XLSX: the input columns, then run id, status, failure
reason, started, finished, and the output (each top-level key a column, nested values as
JSON). It works while the batch still runs, with what is known so far."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .rows import STATE_LABELS, BatchRow, RowState, output_columns, output_text

RESULT_COLUMNS = ("run id", "status", "failure reason", "started", "finished")


def _when(stamp: float | None) -> str:
    if stamp is None:
        return ""
    return datetime.fromtimestamp(stamp, UTC).astimezone().isoformat(timespec="seconds")


def table(headers: tuple[str, ...], rows: list[BatchRow]) -> list[list[str]]:
    """The export's rows, the header row first."""
    outputs = output_columns(rows)
    taken = set(headers) | set(RESULT_COLUMNS)
    named = [f"output: {k}" if k in taken else k for k in outputs]
    out = [[*headers, *RESULT_COLUMNS, *named]]
    for row in rows:
        cells = list(row.cells[: len(headers)]) + [""] * (len(headers) - len(row.cells))
        status = row.status if row.state in (RowState.RUNNING, RowState.DONE) and row.status else (
            STATE_LABELS[row.state].lower()
        )  # fmt: skip
        reason = row.failure_reason or "; ".join(row.errors.values())
        values = row.output if isinstance(row.output, dict) else {}
        out.append(
            [
                *cells,
                row.run_id or "",
                status,
                _inert(reason),
                _when(row.started_at),
                _when(row.finished_at),
                *(_inert(output_text(values.get(k))) for k in outputs),
            ]
        )
    return out


def _inert(text: str) -> str:
    """Text that came from the web (a run's output, a failure reason) is never a formula
    when the export is opened in a spreadsheet: a leading ``= + - @`` gets a ``'``. The
    operator's own input columns are written as they were."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(path: Path, headers: tuple[str, ...], rows: list[BatchRow]) -> None:
    """UTF-8 with a BOM, so Excel opens it with its accents intact."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(table(headers, rows))
    tmp.replace(path)


def write_xlsx(path: Path, headers: tuple[str, ...], rows: list[BatchRow]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    for values in table(headers, rows):
        sheet.append([_safe_cell(sheet, v) for v in values])
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)


def _safe_cell(sheet: Any, value: str) -> Any:
    """Excel cells hold at most 32,767 characters and no control characters; a text
    starting with ``=`` (an input of the operator's) is stored as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cleaned = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)[:32767]
    cell = WriteOnlyCell(sheet, value=cleaned)
    if cleaned.startswith("="):
        cell.data_type = "s"
    return cell


def write(path: Path, headers: tuple[str, ...], rows: list[BatchRow]) -> None:
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, headers, rows)
    else:
        write_csv(path, headers, rows)
