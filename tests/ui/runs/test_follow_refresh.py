"""Only the pane on screen reads its timeline and screenshots while the run goes on; a
hidden or finished pane makes no such requests. The recording tab's words before the
recording is final."""

from __future__ import annotations

import asyncio

import pytest
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.core.runs.watcher import WatchPolicy
from skyvern_desktop.ui.runs import following
from skyvern_desktop.ui.tasks import TaskRunner
from tests.api.support import API_KEY, run_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.support.panes import run_pane
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio

FAST_WATCH = WatchPolicy(first_interval=0.05, max_interval=0.1)
FOLLOW = ("/v1/runs/wr_1/timeline", "/v1/runs/wr_1/artifacts")


def _reads(server: FakeServer) -> int:
    return sum(len(server.requests_to("GET", path)) for path in FOLLOW)


def _serve_running(server: FakeServer) -> None:
    server.always("GET", "/v1/config/runtime", FakeResponse.of_json(
        {"browser_streaming_mode": "vnc"}))  # fmt: skip
    server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json(run_json("wr_1", status="running")))
    server.always("GET", "/v1/runs/wr_1/timeline", FakeResponse.of_json([]))
    server.always("GET", "/v1/runs/wr_1/artifacts", FakeResponse.of_json([]))


async def test_a_hidden_pane_reads_nothing_and_a_shown_one_reads_every_few_seconds(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(following, "REFRESH", 0.1)
    monkeypatch.setattr(following, "REFRESH_MAX", 0.2)
    _serve_running(fake_server)
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, policy=FAST_WATCH)
        qtbot.addWidget(pane)
        pane.tracker.start()  # never shown: watched (its status), not followed
        await wait_until(lambda: pane.run is not None, what="the first reading")
        await asyncio.sleep(0.6)
        assert _reads(fake_server) == 0
        assert "vnc" in pane.overview.note.text() or "vnc" in pane.overview.frame.text()

        pane.show()
        await wait_until(lambda: _reads(fake_server) >= 4, within=5, what="reads while shown")
        pane.hide()
        await asyncio.sleep(0.3)  # a read under way may finish
        hidden = _reads(fake_server)
        await asyncio.sleep(0.8)
        assert _reads(fake_server) == hidden  # hidden again: no more reads

        fake_server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json(
            run_json("wr_1", status="completed")))  # fmt: skip
        pane.show()
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, what="the end")
        await asyncio.sleep(0.3)
        ended = _reads(fake_server)
        await asyncio.sleep(0.8)
        assert _reads(fake_server) == ended  # finished: no more reads, though shown
        assert "pane.follow.wr_1" not in tasks.names
        pane.stop()
        pane.tracker.stop()


async def test_reads_slow_down_while_nothing_changes(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(following, "REFRESH", 0.05)
    monkeypatch.setattr(following, "REFRESH_MAX", 0.8)
    _serve_running(fake_server)
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, policy=FAST_WATCH)
        qtbot.addWidget(pane)
        pane.show()
        pane.tracker.start()
        await wait_until(lambda: _reads(fake_server) >= 2, what="the first reads")
        await asyncio.sleep(1.0)
        early = _reads(fake_server)
        await asyncio.sleep(1.6)
        later = _reads(fake_server) - early
        # 1 s at 0.05 s would be ~20 rounds; backing off to 0.8 s leaves about 2 in 1.6 s.
        assert later <= 3 * len(FOLLOW), later
        pane.stop()
        pane.tracker.stop()


async def test_the_recording_tab_waits_for_the_final_recording(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, read_local_files=True)
        qtbot.addWidget(pane)
        player = pane.player
        player.offer(None, final=True, ended=False)
        assert "when the run has ended" in player.note.text()
        player.offer("file:///tmp/rec.webm", final=False, ended=True)
        assert "still being written" in player.note.text()
        assert player.player is None  # nothing half-written is loaded
        assert player.save.isEnabled()
        player.offer(None, final=True, ended=True)
        assert player.note.text() == "This run has no recording."
        remote = run_pane("wr_2", client, tasks, read_local_files=False)
        qtbot.addWidget(remote)
        remote.player.offer("file:///srv/rec.mp4", final=True, ended=True)
        assert "cannot be played from here" in remote.player.note.text()
        assert remote.player.player is None


async def test_a_hidden_pane_whose_run_ends_leaves_no_task_behind(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    _serve_running(fake_server)
    fake_server.enqueue(
        "GET", "/v1/runs/wr_1",
        FakeResponse.of_json(run_json("wr_1", status="running")),
        FakeResponse.of_json(run_json("wr_1", status="running")),
    )  # fmt: skip
    fake_server.always("GET", "/v1/runs/wr_1", FakeResponse.of_json(
        run_json("wr_1", status="completed")))  # fmt: skip
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, policy=FAST_WATCH)
        qtbot.addWidget(pane)
        pane.tracker.start()  # never shown: the follower waits to be shown, until the run ends
        await asyncio.wait_for(tasks.join(), timeout=10)
        assert pane.run is not None and pane.run.is_terminal
        assert tasks.names == []


async def test_frames_are_decoded_only_while_the_overview_is_on_screen(
    qtbot: QtBot, tasks: TaskRunner, fake_server: FakeServer
) -> None:
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks)
        qtbot.addWidget(pane)
        slot = pane.follower.slot
        assert not slot.active  # not shown
        pane.show()
        assert slot.active  # the Overview is the first tab
        pane.tabs.setCurrentWidget(pane.steps)
        assert not slot.active  # the pane is on screen, its picture is not
        pane.tabs.setCurrentWidget(pane.overview)
        assert slot.active
        pane.hide()
        assert not slot.active
