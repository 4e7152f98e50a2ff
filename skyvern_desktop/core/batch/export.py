"""A batch's results as CSV or XLSX: the input columns, then run id, status, failure
reason, started, finished, and the output (each top-level key a column, nested values as
JSON). It works while the batch still runs, with what is known so far."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..exports import inert as _inert
from ..exports import write_table
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


def write(path: Path, headers: tuple[str, ...], rows: list[BatchRow]) -> None:
    write_table(path, table(headers, rows))
