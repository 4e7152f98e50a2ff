"""The local index of runs against the real server: it holds what the server lists, it sees
a run end through the list pages, it keeps the server's failure categories of real AI runs,
and the history's pages from it equal the server's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.core.runs.history import HistoryQuery, Origins
from skyvern_desktop.core.runs.history_index import IndexedRunPages
from skyvern_desktop.core.runs.history_source import ServerRunPages
from skyvern_desktop.core.runs.index import RunIndex, inputs_digest
from skyvern_desktop.core.runs.index_sync import read_details, sync
from tests.integration.helpers import WorkflowFactory, wait_block, wait_for_run
from tests.realserver import RealServer
from tests.support.ai_runs import AiRuns

pytestmark = [pytest.mark.server, pytest.mark.asyncio]


async def every_run(real_server: RealServer) -> list[dict[str, object]]:
    """The server's whole list of workflow runs, in one plain request."""
    async with httpx.AsyncClient(
        base_url=real_server.base_url, headers={"x-api-key": real_server.api_key}
    ) as http:
        answer = await http.get("/v1/workflows/runs", params={"page": 1, "page_size": 100_000})
        answer.raise_for_status()
        runs: list[dict[str, object]] = answer.json()
        return runs


async def test_the_index_holds_what_the_server_lists_and_sees_a_run_end_through_the_list(
    client: SkyvernClient, workflows: WorkflowFactory, real_server: RealServer, tmp_path: Path
) -> None:
    wpid = await workflows.create("Index: a short wait", [], [wait_block(seconds=3)])
    index = RunIndex(tmp_path / "index.sqlite3", client.base_url)
    first = await sync(client, index)
    assert first.complete and index.complete
    listed = await every_run(real_server)
    assert [(r.run_id, r.status) for r in index.newest(100_000)] == [
        (r["workflow_run_id"], r["status"]) for r in listed
    ]
    run = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    seen = await sync(client, index)
    assert seen.new == 1 and seen.requests == 1
    held = index.get(run.run_id)
    assert held is not None and not held.terminal and held.workflow_permanent_id == wpid
    ended = await wait_for_run(client, run.run_id)
    after = await sync(client, index)
    assert after.ended == [run.run_id] and after.requests == 1  # the same list page
    held = index.get(run.run_id)
    assert held is not None and held.status == ended.status == "completed"
    assert held.started_at == ended.started_at and held.finished_at == ended.finished_at
    quiet = await sync(client, index)
    assert (quiet.requests, quiet.new, quiet.changed) == (1, 0, 0)


async def test_real_failures_keep_the_servers_categories_and_the_history_agrees(
    client: SkyvernClient, ai_runs: AiRuns, tmp_path: Path
) -> None:
    index = RunIndex(tmp_path / "index.sqlite3", client.base_url)
    await sync(client, index)
    for case, category in ((ai_runs.refused_login, "AUTH_FAILURE"), (ai_runs.outage, "LLM_ERROR")):
        detail = await client.get_workflow_run(case.workflow_id, case.run_id)
        held = index.get(case.run_id)
        assert held is not None
        assert held.status == str(detail.status)
        assert held.failure_reason == detail.failure_reason
        assert category in held.categories
        assert list(held.categories) == [c.category for c in sorted(
            detail.failure_category or [], key=lambda c: -(c.confidence_float or 0))]  # fmt: skip

    # What the list leaves out: the steps each run used, and a digest of its inputs.
    since = datetime.now(UTC) - timedelta(days=1)
    while await read_details(client, index, since=since, limit=50):
        pass
    for case in (ai_runs.extraction, ai_runs.login, ai_runs.refused_login, ai_runs.outage):
        detail = await client.get_workflow_run(case.workflow_id, case.run_id)
        held = index.get(case.run_id)
        assert held is not None and held.steps == detail.total_steps
        assert held.inputs_digest == inputs_digest(detail.parameters)
    extraction = index.get(ai_runs.extraction.run_id)
    assert extraction is not None and extraction.steps is not None and extraction.steps >= 1

    server = ServerRunPages(client)
    local = IndexedRunPages(index, server, Origins, lambda: None)
    queries = [
        HistoryQuery(),
        HistoryQuery(status="failed"),
        HistoryQuery(status="terminated"),
        HistoryQuery(workflow_permanent_id=ai_runs.login.workflow_id),
        HistoryQuery(category="AUTH_FAILURE"),
        HistoryQuery(category="LLM_ERROR"),
        HistoryQuery(workflows=(ai_runs.login.workflow_id, ai_runs.outage.workflow_id)),
    ]
    for query in queries:
        assert local.answers(query)
        mine, theirs = await local.page(query), await server.page(query)
        assert [r.workflow_run_id for r in mine.runs] == [r.workflow_run_id for r in theirs.runs]
        assert [str(r.status) for r in mine.runs] == [str(r.status) for r in theirs.runs]
        assert mine.more == theirs.more
    found = await local.page(HistoryQuery(category="AUTH_FAILURE"))
    assert ai_runs.refused_login.run_id in [r.workflow_run_id for r in found.runs]
