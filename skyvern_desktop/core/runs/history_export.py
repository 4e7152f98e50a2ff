"""The run history's rows, with their inputs and outputs, as a table for CSV or XLSX
(written by :func:`~..exports.write_table`, under its rules: web text never a formula,
credentials by name, no header values)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..exports import inert
from .failure import category_words
from .history import STARTED_BY_LABELS, Origins, started_by

if TYPE_CHECKING:
    from ...api.models import WorkflowRun
    from .details import RunDetails

RUN_COLUMNS = (
    "run id", "workflow", "status", "started by", "created", "started", "finished",
    "failure reason", "failure category",
)  # fmt: skip


def _when(stamp: datetime | None) -> str:
    return stamp.astimezone().isoformat(timespec="seconds") if stamp is not None else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def history_table(
    runs: Sequence[WorkflowRun], details: Mapping[str, RunDetails], origins: Origins
) -> list[list[str]]:
    """The header row, then one row per run: its facts, ``input: <key>`` columns (a
    credential by its name), then the output's top-level keys (nested values as JSON)."""
    inputs: list[str] = []
    outputs: list[str] = []
    for run in runs:
        found = details.get(run.workflow_run_id)
        if found is None:
            continue
        for row in found.inputs:
            if row.key not in inputs:
                inputs.append(row.key)
        out = found.detail.outputs if found.detail is not None else None
        for key in out or {}:
            if key not in outputs:
                outputs.append(key)
    table = [[*RUN_COLUMNS, *(f"input: {k}" for k in inputs), *(f"output: {k}" for k in outputs)]]
    for run in runs:
        found = details.get(run.workflow_run_id)
        by_key = {r.key: r for r in found.inputs} if found is not None else {}
        out = (found.detail.outputs if found is not None and found.detail else None) or {}
        category = run.categories[0] if run.categories else ""
        facts = [
            run.workflow_run_id, inert(run.workflow_title or run.workflow_permanent_id),
            str(run.status), STARTED_BY_LABELS[started_by(run, origins)], _when(run.created_at),
            _when(run.started_at), _when(run.finished_at), inert(run.failure_reason or ""),
            category_words(category) if category else "",
        ]  # fmt: skip
        values = []
        for key in inputs:
            cell = by_key.get(key)
            if cell is None:
                values.append("")
            elif cell.credential_name is not None:
                values.append(inert(f"{cell.credential_name} ({cell.text})"))
            else:
                # Unlike a batch's own columns, these inputs may come from anyone (the API,
                # a schedule, Skyvern's web app): never a formula either.
                values.append(inert(cell.text))
        table.append([*facts, *values, *(inert(_text(out.get(k))) for k in outputs)])
    return table
