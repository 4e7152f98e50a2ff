"""The live view against a real Skyvern server: a browser run seen while it runs, its
recording played in the pane after it ends (cdp mode), and the fallback in vnc mode."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from skyvern_desktop.api.models import RunStatus, WorkflowRunRequest
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.ui import screenshot
from skyvern_desktop.ui.widgets.frames import BACKGROUND
from tests.integration.helpers import WorkflowFactory, wait_block
from tests.realserver import RealServer
from tests.ui.conftest import app_on, wait_until

pytestmark = [pytest.mark.asyncio, pytest.mark.browser]


def _blocks(page: str, seconds: int) -> list[dict[str, object]]:
    return [{"block_type": "goto_url", "label": "open", "url": page}, wait_block(seconds=seconds)]


@pytest.mark.usefixtures("require_browser")
async def test_a_browser_run_is_seen_live_and_its_recording_plays_in_the_pane(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore,
    workflows: WorkflowFactory, clock_page: str, caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    wpid = await workflows.create("Live clock", [], _blocks(clock_page, 20))
    app = app_on(monkeypatch, real_server, no_keyring)
    try:
        app.window.resize(1280, 800)
        app.window.show()
        await app.connect_initial(interactive=False)
        client = app.session.client
        assert client is not None
        assert await client.streaming_mode() == "cdp"  # the fixture's server, as the app's
        started = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(started)
        page = app.window.runs
        pane = page.panes[started.run_id]
        assert pane.tabs.currentWidget() is pane.overview  # the Overview comes first

        follower = pane.follower

        def seen() -> str:  # what the live view had when a wait ran out
            feed = follower.feed
            stats = feed.stats if feed is not None else None
            return (
                f"50 frames (shown {follower.slot.shown}, feed {feed and feed.state}, {stats},"
                f" run {follower.run and follower.run.status})"
            )

        await wait_until(lambda: follower.slot.shown >= 50, within=90, what=seen)
        assert pane.run is not None and not pane.run.is_terminal  # seen while it runs
        assert pane.overview.url_text() == clock_page
        assert pane.overview.live.isVisible()
        assert not page.tabs.tabIcon(page.tabs.indexOf(pane)).isNull()  # the live dot
        assert page.live_runs() == [started.run_id]
        image = pane.overview.frame.image()
        assert image is not None and image.width() > 100
        feed = pane.follower.feed
        assert feed is not None and feed.stats.dropped == 0
        assert feed.stats.received >= pane.follower.slot.shown
        await wait_until(
            lambda: pane.overview.block.text() == "Block 2 of 2: pause", within=30,
            what="the block the run is in",
        )  # fmt: skip
        assert pane.steps.model_.rowCount() == 2  # the timeline fills while it runs
        assert pane.overview.elapsed.text().startswith("Running for ")

        # --screenshot --view run of this running run: the Overview with a real frame. (It
        # connects as the app would, so the pane is opened again and watches on.)
        shot = tmp_path / "live.png"
        assert await screenshot.take(app, shot, "run", run=started.run_id) == 0
        pane = page.panes[started.run_id]
        assert pane.follower.slot.shown > 0 or pane.follower.over()
        picture = QImage(str(shot))
        frame = pane.overview.frame
        middle_of_frame = frame.mapTo(app.window, frame.rect().center())
        # The page's own light background, not the view's empty dark ground.
        centre = QColor(picture.pixel(middle_of_frame))
        assert centre.lightness() > 150, centre.name()
        assert centre != BACKGROUND

        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=120)
        await app.tasks.join()  # the final recording, timeline and screenshots
        assert pane.run is not None and pane.run.status == RunStatus.COMPLETED
        assert not pane.overview.live.isVisible()
        assert page.tabs.tabIcon(page.tabs.indexOf(pane)).isNull()
        assert "last picture" in pane.overview.note.text()
        assert pane.overview.frame.image() is not None  # the last frame stays
        assert "pane.stream." + started.run_id not in app.tasks.names  # the socket is closed

        pane.tabs.setCurrentWidget(pane.player)  # the recording loads when its tab shows
        player = pane.player
        await wait_until(
            lambda: player.player is not None and player.player.duration() > 0, within=30,
            what="the recording's duration",
        )  # fmt: skip
        assert player.source is not None and player.source.endswith(".mp4")
        assert player.play_button.isEnabled()
        media = player.player
        assert media is not None
        start = media.position()
        player.speed.setCurrentIndex(player.speed.findData(2.0))
        player.play_button.click()
        await wait_until(lambda: media.position() > start + 500, within=15, what="playback")
        assert player.play_button.text() == "Pause"
        player.play_button.click()
        assert player.view.image() is not None  # a real picture of the recording
        assert player.seek.maximum() == media.duration()
    finally:
        await app.aclose()

    # The stream's address carries the key: it is nowhere on disk or in the log.
    key = real_server.api_key
    paths = app_paths()
    for root in (paths.config_dir, paths.data_dir, paths.log_dir, paths.cache_dir):
        for file in Path(root).rglob("*"):
            if file.is_file():
                assert key not in file.read_text("utf-8", errors="replace"), file
    assert key not in caplog.text


@pytest.mark.usefixtures("require_browser")
async def test_a_server_in_vnc_mode_shows_the_newest_screenshot_while_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch, vnc_server: RealServer, no_keyring: KeyStore,
    clock_page: str,
) -> None:  # fmt: skip
    factory = WorkflowFactory(vnc_server.base_url, vnc_server.api_key)
    app = app_on(monkeypatch, vnc_server, no_keyring)
    try:
        wpid = await factory.create("No stream", [], _blocks(clock_page, 15))
        app.window.resize(1280, 800)
        app.window.show()
        await app.connect_initial(interactive=False)
        client = app.session.client
        assert client is not None
        started = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
        app.runs.on_run_started(started)
        pane = app.window.runs.panes[started.run_id]
        await wait_until(
            lambda: "does not stream" in pane.overview.note.text(), within=60,
            what="the fallback line",
        )  # fmt: skip
        # The screenshots refresh while the run runs: one shows before it has ended.
        await wait_until(lambda: pane.screenshot_count >= 1, within=60, what="a screenshot")
        assert pane.run is not None and not pane.run.is_terminal
        assert pane.overview.frame.image() is not None  # the newest screenshot
        assert "newest screenshot" in pane.overview.note.text()
        assert pane.follower.feed is None  # no socket held for a server that sends nothing
        assert pane.follower.slot.shown == 0
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal, within=120)
        await app.tasks.join()
        assert "newest screenshot" in pane.overview.note.text()
    finally:
        await app.aclose()
        await factory.aclose()
