"""The batch runner's faults that a real server will not produce on demand, on a fake one:
a 429 with Retry-After slows the batch down; a lost answer gives "may have started" and
is never sent again; network trouble stops starts until the server answers. (The real
server's runs are in tests/integration/test_batch.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunResponse, WorkflowRunRequest
from skyvern_desktop.core.batch.rows import BatchRow, Bucket, RowCounts, RowState, counts, summary
from skyvern_desktop.core.batch.runner import BatchRunner, RunnerPolicy
from skyvern_desktop.core.batch.store import BatchState, BatchStore
from tests.api.support import API_KEY, run_json, workflow_run_json
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port
from tests.polling import wait_until

RUN = "/v1/run/workflows"
LIST = "/v1/workflows/wpid_1/runs"
FAST = RunnerPolicy(watch_first=0.05, watch_max=0.1, probe_first=0.05, probe_max=0.1)


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


def _rows(n: int) -> list[BatchRow]:
    return [BatchRow(index=i, cells=(f"r{i}",), params={"name": f"r{i}"}) for i in range(n)]


def _runner(
    fake: FakeServer, tmp_path: Path, rows: list[BatchRow], concurrency: int = 2
) -> tuple[BatchRunner, BatchStore, SkyvernClient]:
    store = BatchStore(tmp_path / "b.sqlite3")
    info = store.create(
        base_url=fake.url, workflow_permanent_id="wpid_1", workflow_title="T", source="s",
        headers=("name",), mapping={}, options={}, title_template="", concurrency=concurrency,
        rows=rows,
    )  # fmt: skip
    client = SkyvernClient(fake.url, api_key=API_KEY, retry=NO_RETRY, timeout=2.0)
    return BatchRunner(store, info, rows, client, lambda _i: None, policy=FAST), store, client


def _done(run_id: str) -> FakeResponse:
    return FakeResponse.of_json(run_json(run_id, status="completed"))


def _runs_done(*ids: str) -> FakeResponse:
    return FakeResponse.of_json([workflow_run_json(i, status="completed") for i in ids])


@pytest.mark.asyncio
async def test_429_waits_its_retry_after_and_spaces_the_next_starts(
    fake: FakeServer, tmp_path: Path
) -> None:
    rows = _rows(3)
    fake.enqueue(
        "POST", RUN,
        FakeResponse.of_json({"detail": "Too many requests"}, 429, headers={"Retry-After": "1"}),
        FakeResponse.of_json(run_json("wr_a")),
        FakeResponse.of_json(run_json("wr_b")),
        FakeResponse.of_json(run_json("wr_c")),
    )  # fmt: skip
    fake.always("GET", LIST, _runs_done("wr_a", "wr_b", "wr_c"))
    for run_id in ("wr_a", "wr_b", "wr_c"):
        fake.always("GET", f"/v1/runs/{run_id}", _done(run_id))
    runner, store, client = _runner(fake, tmp_path, rows, concurrency=3)
    times: list[float] = []
    send = client.run_workflow

    async def timed(request: WorkflowRunRequest) -> RunResponse:
        times.append(time.monotonic())
        return await send(request)

    client.run_workflow = timed  # type: ignore[method-assign]
    started = time.monotonic()
    await asyncio.wait_for(runner.run(), 20)
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 4 == len(times)  # the refused one was not started: sent again
    # Three left at once; the refused one went again once its Retry-After (1 s) had passed.
    assert times[3] - times[0] >= 0.95
    assert {r.state for r in rows} == {RowState.DONE}
    assert sorted(r.run_id or "" for r in rows) == ["wr_a", "wr_b", "wr_c"]
    assert time.monotonic() - started >= 1.0
    await client.aclose()
    _counts_match(runner)
    store.close()


@pytest.mark.asyncio
async def test_a_lost_answer_is_may_have_started_and_never_sent_again(
    fake: FakeServer, tmp_path: Path
) -> None:
    rows = _rows(2)
    fake.enqueue(
        "POST", RUN, FakeResponse(drop=True), FakeResponse.of_json(run_json("wr_b"))
    )  # fmt: skip
    fake.always("GET", LIST, _runs_done("wr_b"))
    fake.always("GET", "/v1/runs/wr_b", _done("wr_b"))
    fake.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
    runner, store, client = _runner(fake, tmp_path, rows, concurrency=1)
    await asyncio.wait_for(runner.run(), 20)
    posts = [r.json()["parameters"]["name"] for r in fake.requests if r.method == "POST"]
    assert posts == ["r0", "r1"]  # r0 once only
    assert rows[0].state is RowState.MAYBE
    assert "may have started" in (rows[0].failure_reason or "")
    assert rows[1].state is RowState.DONE
    assert store.rows(runner.info.batch_id)[0].state is RowState.MAYBE  # on disk too
    assert runner.state is BatchState.FINISHED
    assert summary(rows) == "1 completed, 1 may have started"
    await client.aclose()
    _counts_match(runner)
    store.close()


@pytest.mark.asyncio
async def test_network_trouble_stops_starts_until_the_server_answers(
    fake: FakeServer, tmp_path: Path
) -> None:
    rows = _rows(2)
    runner, store, client = _runner(fake, tmp_path, rows, concurrency=1)
    # Nothing listens at first: the request surely started nothing.
    unreachable = SkyvernClient(
        f"http://127.0.0.1:{free_closed_port()}", api_key=API_KEY, retry=NO_RETRY
    )
    runner.client = unreachable
    task = asyncio.create_task(runner.run())
    for _ in range(200):
        if runner.offline:
            break
        await asyncio.sleep(0.02)
    assert runner.offline and rows[0].state is RowState.PENDING
    await asyncio.sleep(0.3)
    assert rows[0].state is RowState.PENDING  # no start while the server cannot be reached
    fake.enqueue(
        "POST", RUN, FakeResponse.of_json(run_json("wr_a")), FakeResponse.of_json(run_json("wr_b"))
    )  # fmt: skip
    fake.always("GET", LIST, _runs_done("wr_a", "wr_b"))
    fake.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
    for run_id in ("wr_a", "wr_b"):
        fake.always("GET", f"/v1/runs/{run_id}", _done(run_id))
    runner.client = client  # the server answers again
    await asyncio.wait_for(task, 20)
    assert [r.state for r in rows] == [RowState.DONE, RowState.DONE]
    assert [r.json()["parameters"]["name"] for r in fake.requests if r.method == "POST"] == [
        "r0", "r1",
    ]  # fmt: skip
    assert runner.offline is None
    await client.aclose()
    await unreachable.aclose()
    _counts_match(runner)
    store.close()


def _counts_match(runner: BatchRunner) -> None:
    """What the runner kept row by row is what a full count says."""
    whole = RowCounts(runner.rows)
    assert +runner.counts.counts == +whole.counts
    assert runner.counts.durations == whole.durations
    assert (runner.counts.failed, runner.counts.running) == (whole.failed, whole.running)


def test_counts_eta_and_summary() -> None:
    rows = _rows(6)
    for r, (state, status) in zip(
        rows,
        [(RowState.DONE, "completed"), (RowState.DONE, "failed"), (RowState.RUNNING, "running"),
         (RowState.PENDING, None), (RowState.PENDING, None), (RowState.SKIPPED, None)],
        strict=True,
    ):  # fmt: skip
        r.state, r.status = state, status
    rows[0].started_at, rows[0].finished_at = 0.0, 10.0
    rows[1].started_at, rows[1].finished_at = 0.0, 20.0
    c = counts(rows)
    assert [c[b] for b in (Bucket.WAITING, Bucket.RUNNING, Bucket.COMPLETED)] == [2, 1, 1]
    assert [c[b] for b in (Bucket.FAILED, Bucket.SKIPPED)] == [1, 1]
    # one wave of two at the median, plus half a run
    assert RowCounts(rows).eta_seconds(2) == 20.0 + 10.0
    assert summary(rows) == "1 completed, 1 failed, 1 skipped"


_STATES = [
    (RowState.PENDING, None), (RowState.STARTING, None), (RowState.RUNNING, "running"),
    (RowState.DONE, "completed"), (RowState.DONE, "failed"), (RowState.DONE, "canceled"),
    (RowState.MAYBE, None), (RowState.SKIPPED, None), (RowState.STOPPED, None),
    (RowState.REFUSED, None),
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 19), st.sampled_from(_STATES),
            st.one_of(st.none(), st.floats(0, 100)), st.one_of(st.none(), st.floats(0, 100)),
        ),
        max_size=60,
    )
)  # fmt: skip
def test_counts_kept_row_by_row_always_equal_a_full_count(
    changes: list[tuple[int, tuple[RowState, str | None], float | None, float | None]],
) -> None:
    rows = _rows(20)
    kept = RowCounts(rows)
    for index, (state, status), started, finished in changes:
        row = rows[index]
        row.state, row.status, row.started_at, row.finished_at = state, status, started, finished
        kept.changed([index])
        whole = RowCounts(rows)
        assert +kept.counts == +whole.counts == +counts(rows)
        assert kept.durations == whole.durations
        assert (kept.failed, kept.running) == (whole.failed, whole.running)
        assert kept.eta_seconds(3) == whole.eta_seconds(3)


@pytest.mark.asyncio
async def test_concurrency_pause_stop_and_cancel_while_it_runs(
    fake: FakeServer, tmp_path: Path
) -> None:
    rows = _rows(6)
    ids = [f"wr_{i}" for i in range(6)]
    fake.enqueue("POST", RUN, *(FakeResponse.of_json(run_json(i)) for i in ids))
    running = FakeResponse.of_json([workflow_run_json(i, status="running") for i in ids])
    fake.always("GET", LIST, running)
    runner, store, client = _runner(fake, tmp_path, rows, concurrency=1)
    task = asyncio.create_task(runner.run())

    def started() -> int:
        return sum(1 for r in rows if r.run_id)

    await wait_until(lambda: started() == 1, within=6, what="one row started")
    await asyncio.sleep(0.2)
    assert started() == 1  # one at a time
    runner.set_concurrency(3)  # while it runs
    await wait_until(lambda: started() == 3, within=6, what="three rows started")
    assert store.get(runner.info.batch_id).concurrency == 3  # type: ignore[union-attr]
    runner.pause()
    runner.set_concurrency(5)
    await asyncio.sleep(0.3)
    assert started() == 3 and runner.state is BatchState.PAUSED  # paused: no new starts
    runner.stop()
    assert [r.state for r in rows[3:]] == [RowState.STOPPED] * 3
    for i in ids[:3]:
        fake.always("POST", f"/v1/runs/{i}/cancel", FakeResponse.of_json({}))
    assert await runner.cancel_running() == 3
    assert sorted(r.path for r in fake.requests if r.path.endswith("/cancel")) == [
        f"/v1/runs/{i}/cancel" for i in ids[:3]
    ]
    fake.always("GET", LIST, FakeResponse.of_json(
        [workflow_run_json(i, status="canceled") for i in ids[:3]]
    ))  # fmt: skip
    for i in ids[:3]:
        fake.always("GET", f"/v1/runs/{i}", FakeResponse.of_json(run_json(i, status="canceled")))
    await asyncio.wait_for(task, 20)
    assert runner.finished.is_set() and runner.info.state == "finished"
    assert summary(rows) == "6 canceled"
    assert len([r for r in fake.requests if r.method == "POST" and r.path == RUN]) == 3
    await client.aclose()
    _counts_match(runner)
    store.close()
