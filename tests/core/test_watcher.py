"""The run watcher: against the fault-injecting fake, then against the real server."""

from __future__ import annotations

import pytest

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.models import RunResponse, RunStatus, WorkflowRunRequest
from skyvern_desktop.core.runs.watcher import (
    RunWatcher,
    WatchPolicy,
    WatchState,
    recording_is_final,
)
from tests.api.support import API_KEY, run_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.fakes.timing import RecordingSleep
from tests.integration.helpers import WorkflowFactory, http_block, wait_block
from tests.realserver import RealServer

pytestmark = pytest.mark.asyncio
RUN = "/v1/runs/wr_1"
POLICY = WatchPolicy(rand=lambda: 1.0)


def _run(status: str, **extra: object) -> FakeResponse:
    return FakeResponse.of_json(run_json("wr_1", status=status, **extra))


class Seen:
    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.states: list[tuple[WatchState, str]] = []

    def update(self, run: RunResponse) -> None:
        self.statuses.append(str(run.status))

    def state(self, state: WatchState, message: str) -> None:
        self.states.append((state, message))


async def _watch(
    server: FakeServer, sleeper: RecordingSleep
) -> tuple[RunWatcher, Seen, RunResponse | None]:
    seen = Seen()
    async with SkyvernClient(server.url, API_KEY, retry=NO_RETRY) as client:
        watcher = RunWatcher(
            client, "wr_1", on_update=seen.update, on_state=seen.state, policy=POLICY, sleep=sleeper
        )
        final = await watcher.watch()
    return watcher, seen, final


async def test_polls_fast_then_settles_at_five_seconds(fake_server: FakeServer) -> None:
    fake_server.enqueue("GET", RUN, *[_run("running") for _ in range(8)], _run("completed"))
    sleeper = RecordingSleep()
    watcher, seen, final = await _watch(fake_server, sleeper)
    assert final is not None
    assert final.status == RunStatus.COMPLETED
    assert seen.statuses == ["running"] * 8 + ["completed"]
    assert sleeper.calls[0] == 0.5
    assert sleeper.calls == sorted(sleeper.calls)  # never faster again
    assert max(sleeper.calls) == 5.0
    assert watcher.requests == 9  # one request per interval, no more
    assert seen.states[-1][0] is WatchState.FINISHED


async def test_an_outage_reconnects_by_itself(fake_server: FakeServer) -> None:
    fake_server.enqueue(
        "GET", RUN,
        _run("running"),
        FakeResponse(drop=True),
        FakeResponse(status=502, body=b"<html>bad gateway</html>"),
        FakeResponse.of_json({"detail": "slow down"}, 429, headers={"retry-after": "7"}),
        _run("running"),
        _run("completed", output={"fetch_output": {"ok": True}}),
    )  # fmt: skip
    sleeper = RecordingSleep()
    _watcher, seen, final = await _watch(fake_server, sleeper)
    assert final is not None
    assert final.output == {"fetch_output": {"ok": True}}
    states = [s for s, _ in seen.states]
    assert states[0] is WatchState.RECONNECTING  # watching is the starting state
    assert all(
        m.startswith("Reconnecting…") for s, m in seen.states if s is WatchState.RECONNECTING
    )
    assert WatchState.WATCHING in states[states.index(WatchState.RECONNECTING) :]
    # Backoff grows (1 s, 2 s with rand=1), Retry-After is honoured exactly.
    assert sleeper.calls[1:4] == [1.0, 2.0, 7.0]


async def test_unknown_statuses_are_not_the_end(fake_server: FakeServer) -> None:
    fake_server.enqueue(
        "GET", RUN, _run("warming_up"), _run("quantum"), _run("failed", failure_reason="boom")
    )
    _watcher, seen, final = await _watch(fake_server, RecordingSleep())
    assert seen.statuses == ["warming_up", "quantum", "failed"]
    assert final is not None
    assert final.failure_reason == "boom"


async def test_a_malformed_answer_is_retried_not_fatal(fake_server: FakeServer) -> None:
    fake_server.enqueue(
        "GET", RUN,
        FakeResponse(status=200, body=b"{not json"),
        FakeResponse.of_json({"unexpected": "shape"}),
        _run("completed"),
    )  # fmt: skip
    _watcher, seen, final = await _watch(fake_server, RecordingSleep())
    assert final is not None
    assert seen.statuses == ["completed"]
    assert [s for s, _ in seen.states].count(WatchState.RECONNECTING) >= 1


async def test_a_run_the_server_does_not_know_stops_the_watch(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", RUN, {"detail": "Task run not found wr_1"}, status=404)
    watcher, seen, final = await _watch(fake_server, RecordingSleep())
    assert final is None
    assert watcher.state is WatchState.GONE
    assert seen.states[-1][0] is WatchState.GONE


async def test_the_recording_is_read_again_until_it_is_the_final_mp4(
    fake_server: FakeServer,
) -> None:
    webm = "file:///tmp/a/recording.webm"
    mp4 = "file:///tmp/a/recording.mp4"
    fake_server.enqueue(
        "GET", RUN,
        _run("completed", recording_url=webm),
        _run("completed", recording_url=webm),
        _run("completed", recording_url=mp4),
    )  # fmt: skip
    watcher, _seen, final = await _watch(fake_server, RecordingSleep())
    assert final is not None
    assert final.recording_url == mp4
    assert watcher.requests == 3
    assert not recording_is_final(RunResponse.model_validate(run_json(recording_url=webm)))
    assert recording_is_final(RunResponse.model_validate(run_json(recording_url=None)))


async def test_a_real_run_is_watched_from_created_to_completed(
    real_server: RealServer, workflows: WorkflowFactory
) -> None:
    url = f"{real_server.base_url}/v1/version"
    wpid = await workflows.create("Watched", [], [wait_block(seconds=2), http_block(url=url)])
    seen = Seen()
    async with SkyvernClient(real_server.base_url, real_server.api_key) as client:
        started = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        watcher = RunWatcher(client, started.run_id, on_update=seen.update, on_state=seen.state)
        final = await watcher.watch()
    assert final is not None
    assert final.status == RunStatus.COMPLETED
    assert "running" in seen.statuses
    assert seen.statuses[-1] == "completed"
    assert final.output["fetch_output"]["response_body"] == {"version": real_server.version}
    # 0.5 s, then growing: a 2-second run needs only a handful of reads.
    assert watcher.requests <= 8
