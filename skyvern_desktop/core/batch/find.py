"""Finding the run a "may have started" row may have started: the workflow's runs created
around the moment its request left, that no other row of the batch has, those started
with the row's inputs first. The operator chooses; nothing is taken by itself. No Qt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .rows import BatchRow

if TYPE_CHECKING:
    from ...api.client import SkyvernClient

PAGE = 50
MAX_PAGES = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    """A run the server has that may be the one a "may have started" row started."""

    run_id: str
    created_at: datetime
    status: str
    same_inputs: bool


async def find_candidates(
    client: SkyvernClient, workflow_permanent_id: str, row: BatchRow, known: set[str]
) -> tuple[list[Candidate], int]:
    """``(candidates, requests sent)`` for ``row``; runs in ``known`` (other rows') are
    left out."""
    sent = row.sent_at or time.time()
    start = datetime.fromtimestamp(sent, UTC) - timedelta(minutes=2)
    end = datetime.fromtimestamp(sent, UTC) + timedelta(minutes=10)
    found: list[Candidate] = []
    requests = 0
    for page in range(1, MAX_PAGES + 1):
        requests += 1
        runs = await client.list_workflow_runs(
            workflow_permanent_id=workflow_permanent_id,
            page=page,
            page_size=PAGE,
            created_after=start,
            created_before=end,
        )
        for run in runs:
            if run.workflow_run_id in known:
                continue
            requests += 1
            detail = await client.get_run(run.workflow_run_id)
            sent_params = (detail.run_request or {}).get("parameters") or {}
            found.append(
                Candidate(
                    run.workflow_run_id, run.created_at, str(run.status),
                    same_inputs(sent_params, row.params),
                )
            )  # fmt: skip
        if len(runs) < PAGE:
            break
    found.sort(key=lambda c: (not c.same_inputs, abs(c.created_at.timestamp() - sent)))
    return found, requests


def same_inputs(sent: Any, params: dict[str, Any]) -> bool:
    """Whether a run's stored inputs are the row's (the server stores some as text)."""
    if not isinstance(sent, dict):
        return False
    for key, value in params.items():
        got = sent.get(key)
        if got != value and str(got) != str(value):
            return False
    return True
