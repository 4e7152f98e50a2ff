"""The local index of runs and its sync, against the in-process fake client (the real
server's tests are in tests/integration/test_run_index_real.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skyvern_desktop.api.errors import NetworkError, NetworkErrorKind
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.core.runs import index_sync
from skyvern_desktop.core.runs.index import RunIndex, inputs_digest
from skyvern_desktop.core.runs.index_sync import sync
from tests.fakes.client import FakeClient, as_client


def ticking(start: datetime | None = None) -> object:
    """A clock for the fake: a second later at each call, so every run has its own time."""
    now = [start or datetime(2026, 11, 1, tzinfo=UTC)]

    def clock() -> datetime:
        now[0] += timedelta(seconds=1)
        return now[0]

    return clock


async def fake_with_runs(n: int, *, status: str = "completed") -> tuple[FakeClient, str]:
    fake = FakeClient(clock=ticking())  # type: ignore[arg-type]
    wpid = fake.add_workflow("Invoices", parameters=["account"]).workflow_permanent_id
    for _ in range(n):
        await start(fake, wpid, status)
    return fake, wpid


async def start(fake: FakeClient, wpid: str, status: str = "completed", **params: object) -> str:
    run = await fake.run_workflow(
        WorkflowRunRequest(workflow_id=wpid, parameters={"account": "a", **params})
    )
    run_id = run.run_id
    if status != "queued":
        fake.advance(run_id, status)
    return run_id


def index_at(tmp_path: Path, fake: FakeClient) -> RunIndex:
    return RunIndex(tmp_path / "index.sqlite3", fake.base_url)


def server_list(fake: FakeClient) -> list[tuple[str, str]]:
    runs = sorted(fake.runs.values(), key=lambda r: r.created_at, reverse=True)
    return [(r.run_id, r.status) for r in runs]


def index_list(index: RunIndex) -> list[tuple[str, str]]:
    return [(r.run_id, r.status) for r in index.newest(100_000)]


@pytest.mark.asyncio
async def test_a_first_sync_reads_every_page_once_newest_first_and_says_how_far(
    tmp_path: Path,
) -> None:
    fake, _ = await fake_with_runs(250)
    index = index_at(tmp_path, fake)
    told: list[tuple[int, bool]] = []
    report = await sync(as_client(fake), index, progress=lambda n, done: told.append((n, done)))
    assert report.requests == 3  # 100 + 100 + 50
    assert report.new == 250 and report.complete and index.complete
    assert index_list(index) == server_list(fake)
    assert told[0] == (100, False) and told[-1] == (250, True)  # newest first, then done
    pages = [kw["page"] for _, kw in fake.calls_to("list_workflow_runs")]
    assert pages == [1, 2, 3]


@pytest.mark.asyncio
async def test_while_nothing_changes_a_sync_is_one_request(tmp_path: Path) -> None:
    fake, _ = await fake_with_runs(150)
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    for _ in range(3):
        report = await sync(as_client(fake), index)
        assert (report.requests, report.new, report.changed) == (1, 0, 0)


@pytest.mark.asyncio
async def test_unfinished_runs_are_reread_through_the_same_pages(tmp_path: Path) -> None:
    fake, wpid = await fake_with_runs(120)
    going = await start(fake, wpid, "running")  # the newest run, still going
    for _ in range(130):  # then many more, so it sits on the second page
        await start(fake, wpid)
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    assert index.get(going).status == "running"  # type: ignore[union-attr]
    fake.advance(going, "failed", failure_reason="Boom at 10:42", category="LLM_ERROR")
    new = await start(fake, wpid, "queued")
    fake.calls.clear()
    report = await sync(as_client(fake), index)
    held = index.get(going)
    assert held is not None and held.status == "failed" and held.categories == ("LLM_ERROR",)
    assert report.ended == [going] and report.new == 1
    assert index.get(new).status == "queued"  # type: ignore[union-attr]
    # Pages 1 and 2 (where the run that was going sits), and no run read on its own.
    assert [kw["page"] for _, kw in fake.calls_to("list_workflow_runs")] == [1, 2]
    assert not fake.calls_to("get_run") and not fake.calls_to("get_workflow_run")


@pytest.mark.asyncio
async def test_an_old_unfinished_run_is_found_through_the_list_of_unfinished_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_sync, "PAGE_SIZE", 10)
    monkeypatch.setattr(index_sync, "HEAD_PAGES", 2)
    fake, wpid = await fake_with_runs(0)
    stuck = await start(fake, wpid, "running")
    ended = await start(fake, wpid, "running")
    for _ in range(60):
        await start(fake, wpid)
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    fake.advance(ended, "completed")
    fake.calls.clear()
    await sync(as_client(fake), index)
    calls = fake.calls_to("list_workflow_runs")
    assert [kw["page"] for _, kw in calls] == [1, 2, 1]  # the head, then by status
    assert sorted(calls[-1][1]["status"]) == sorted(index_sync.UNFINISHED)
    assert [a for a, _ in fake.calls_to("get_run")] == [(ended,)]  # only the one that left
    assert index.get(ended).status == "completed"  # type: ignore[union-attr]
    assert index.get(stuck).status == "running"  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_a_first_sync_cut_short_goes_on_from_where_it_stopped(tmp_path: Path) -> None:
    fake, wpid = await fake_with_runs(350)
    index = index_at(tmp_path, fake)
    client = as_client(fake)
    # The second page's request fails: the first page is kept.
    original = fake.list_workflow_runs
    pages_seen: list[int] = []
    cut = [True]

    async def flaky(**kw: object) -> object:
        pages_seen.append(int(kw["page"]))  # type: ignore[call-overload]
        if len(pages_seen) == 2 and cut[0]:
            cut[0] = False
            raise NetworkError("The network went away.", NetworkErrorKind.OTHER)
        return await original(**kw)  # type: ignore[arg-type]

    fake.list_workflow_runs = flaky  # type: ignore[method-assign, assignment]
    with pytest.raises(NetworkError):
        await sync(client, index)
    assert index.count() == 100 and not index.complete
    for _ in range(20):  # meanwhile, new runs arrive at the top
        await start(fake, wpid)
    pages_seen.clear()
    report = await sync(client, index)
    assert report.complete and index_list(index) == server_list(fake)
    # The head (page 1 meets the runs read before), then the pages below those 120 runs.
    assert pages_seen == [1, 2, 3, 4]


@pytest.mark.asyncio
async def test_a_damaged_index_is_set_aside_and_rebuilt_with_one_line_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, _ = await fake_with_runs(30)
    path = tmp_path / "index.sqlite3"
    path.write_bytes(b"this is not a database, it was a crash" * 100)
    with caplog.at_level(logging.WARNING):
        index = RunIndex(path, fake.base_url)
    assert index.count() == 0 and not index.complete
    lines = [r for r in caplog.records if "index of runs" in r.getMessage()]
    assert len(lines) == 1
    assert [p for p in tmp_path.iterdir() if p.name != path.name and "index" in p.name]
    await sync(as_client(fake), index)
    assert index_list(index) == server_list(fake)


def test_a_newer_apps_index_is_rebuilt_too(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "index.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    index = RunIndex(path, "http://x")
    assert index.count() == 0


@pytest.mark.asyncio
async def test_rows_rescued_from_a_damaged_index_are_not_trusted(tmp_path: Path) -> None:
    fake, _ = await fake_with_runs(30)
    path = tmp_path / "index.sqlite3"
    index = RunIndex(path, fake.base_url)
    await sync(as_client(fake), index)
    index.close()
    data = bytearray(path.read_bytes())
    data[:16] = b"garbage garbage!"  # the header: not a database any more
    path.write_bytes(bytes(data))
    again = RunIndex(path, fake.base_url)
    assert again.count() == 0 and not again.complete


@pytest.mark.asyncio
async def test_another_address_for_the_same_connection_starts_the_index_again(
    tmp_path: Path,
) -> None:
    fake, _ = await fake_with_runs(5)
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    index.close()
    assert RunIndex(tmp_path / "index.sqlite3", fake.base_url).count() == 5
    assert RunIndex(tmp_path / "index.sqlite3", "http://elsewhere:8000").count() == 0


@pytest.mark.asyncio
async def test_the_index_keeps_no_input_value_no_output_and_no_failure_reasoning(
    tmp_path: Path,
) -> None:
    fake, wpid = await fake_with_runs(0)
    run_id = await start(fake, wpid, "queued", password="hunter2-very-secret")
    fake.advance(
        run_id,
        "completed",
        output={"card": "4111-1111-OUTPUT"},
    )
    other = await start(fake, wpid, "queued")
    fake.advance(other, "failed", failure_reason="refused", category="AUTH_FAILURE")
    fake.runs[other].failure_category[0]["reasoning"] = "page said: token=SECRET-REASON"  # type: ignore[index]
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    detail = await fake.get_workflow_run(wpid, run_id)
    index.store_details(run_id, detail.total_steps, inputs_digest(detail.parameters))
    index.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (b"hunter2-very-secret", b"4111-1111-OUTPUT", b"SECRET-REASON", b"sk-fake"):
        assert secret not in blob
    again = RunIndex(tmp_path / "index.sqlite3", fake.base_url)
    assert again.get(run_id).inputs_digest == inputs_digest(detail.parameters)  # type: ignore[union-attr]
    assert again.get(other).categories == ("AUTH_FAILURE",)  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_an_indexed_run_reads_back_as_the_servers_list_item(tmp_path: Path) -> None:
    fake, wpid = await fake_with_runs(0)
    run_id = await start(fake, wpid, "queued")
    fake.advance(run_id, "terminated", failure_reason="Invalid password", category="AUTH_FAILURE")
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    [listed] = await fake.list_workflow_runs()
    held = index.get(run_id)
    assert held is not None
    back = held.as_workflow_run(index.categories_json(run_id))
    names = "workflow_run_id workflow_permanent_id workflow_title status failure_reason"
    names += " created_at started_at finished_at modified_at"
    for name in names.split():
        assert getattr(back, name) == getattr(listed, name), name
    assert back.categories == listed.categories == ["AUTH_FAILURE"]
    assert held.duration_s is not None and held.duration_s >= 0


@pytest.mark.asyncio
async def test_when_runs_are_deleted_the_rest_of_the_history_leaves_no_gap(
    tmp_path: Path,
) -> None:
    fake, _ = await fake_with_runs(350)
    index = index_at(tmp_path, fake)
    original = fake.list_workflow_runs
    pages_seen: list[int] = []

    async def stop_after_one_page(**kw: object) -> object:
        pages_seen.append(int(kw["page"]))  # type: ignore[call-overload]
        if len(pages_seen) == 2:
            raise NetworkError("The network went away.", NetworkErrorKind.OTHER)
        return await original(**kw)  # type: ignore[arg-type]

    fake.list_workflow_runs = stop_after_one_page  # type: ignore[method-assign, assignment]
    with pytest.raises(NetworkError):
        await sync(as_client(fake), index)
    fake.list_workflow_runs = original  # type: ignore[method-assign]
    newest = [run_id for run_id, _ in server_list(fake)]
    for run_id in newest[10:40]:  # 30 of the runs the index holds are gone from the server
        del fake.runs[run_id]
    await sync(as_client(fake), index)
    held = {run_id for run_id, _ in index_list(index)}
    assert {run_id for run_id, _ in server_list(fake)} <= held  # none missed


@pytest.mark.asyncio
async def test_details_give_steps_and_an_inputs_digest_once_per_ended_run(
    tmp_path: Path,
) -> None:
    from skyvern_desktop.api.errors import NotFoundError
    from skyvern_desktop.core.runs.index_sync import read_details

    fake, wpid = await fake_with_runs(0)
    done = [await start(fake, wpid) for _ in range(5)]
    going = await start(fake, wpid, "running")
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    fake.fail_next("get_workflow_run", NotFoundError("gone", status_code=404), times=1)
    assert await read_details(as_client(fake), index, since=since, limit=3) == 3
    assert await read_details(as_client(fake), index, since=since, limit=10) == 2
    assert await read_details(as_client(fake), index, since=since, limit=10) == 0
    assert len(fake.calls_to("get_workflow_run")) == 5  # the unfinished run is not read
    digests = {index.get(r).inputs_digest for r in done}  # type: ignore[union-attr]
    assert digests - {None} == {inputs_digest({"account": "a"})}
    assert len([r for r in done if index.get(r).steps is not None]) == 4  # type: ignore[union-attr]
    assert index.get(going).steps is None  # type: ignore[union-attr]
    later = datetime(2027, 1, 1, tzinfo=UTC)  # nothing that recent
    fresh = index_at(tmp_path / "other", fake)
    await sync(as_client(fake), fresh)
    assert await read_details(as_client(fake), fresh, since=later, limit=10) == 0


@pytest.mark.asyncio
async def test_details_stop_with_the_clients_own_error_and_leave_no_read_behind(
    tmp_path: Path,
) -> None:
    import asyncio

    from skyvern_desktop.core.runs.index_sync import read_details

    fake, _ = await fake_with_runs(6)
    index = index_at(tmp_path, fake)
    await sync(as_client(fake), index)
    fake.fail_next("get_workflow_run", NetworkError("down", NetworkErrorKind.REFUSED))
    since = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(NetworkError):
        await read_details(as_client(fake), index, since=since, limit=10)
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("runs.index.details")]
