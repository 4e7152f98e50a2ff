"""A batch's results as CSV or XLSX: the input columns, then run id, status, failure
reason, started, finished, and the output (each top-level key a column, nested values as
JSON). It works while the batch still runs, with what is known so far."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from .batch import STATE_LABELS, BatchRow, RowState, output_columns, output_text

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
                reason,
                _when(row.started_at),
                _when(row.finished_at),
                *(output_text(values.get(k)) for k in outputs),
            ]
        )
    return out


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
        sheet.append([_safe_cell(v) for v in values])
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)


def _safe_cell(value: str) -> str:
    """Excel cells hold at most 32,767 characters and no control characters; and a text
    starting with ``=`` is written as text, not run as a formula."""
    cleaned = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32)[:32767]
    return "'" + cleaned if cleaned.startswith("=") else cleaned


def write(path: Path, headers: tuple[str, ...], rows: list[BatchRow]) -> None:
    if path.suffix.lower() == ".xlsx":
        write_xlsx(path, headers, rows)
    else:
        write_csv(path, headers, rows)
