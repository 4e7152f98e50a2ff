"""The live view: newest-wins decoding, and a run pane against a real server that answers
the REST API and the run's WebSocket on one origin (websockets on a loopback port, on the
test's own qasync loop, as in the app)."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import qasync
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QTimer
from PySide6.QtGui import QColor, QImage, QImageWriter
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.stream import MAX_FRAME_BYTES, Frame
from skyvern_desktop.core.runs.live import FeedPolicy, FeedState, LiveFeed
from skyvern_desktop.core.runs.watcher import WatchPolicy
from skyvern_desktop.ui.runs import following
from skyvern_desktop.ui.runs.pane import RunPane
from skyvern_desktop.ui.tasks import TaskRunner
from skyvern_desktop.ui.widgets.frames import FrameSlot, FrameView
from tests.api.support import API_KEY, run_json
from tests.support.panes import run_pane
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio

RED, GREEN, BLUE = QColor(230, 20, 20), QColor(20, 200, 40), QColor(20, 40, 230)
STREAM_PATH = "/api/v1/stream/workflow_runs/wr_1"
FAST_WATCH = WatchPolicy(first_interval=0.05, max_interval=0.2)

_SERVER_LOG = logging.getLogger("tests.ui.test_live_view.server")
_SERVER_LOG.propagate = False
_SERVER_LOG.addHandler(logging.NullHandler())


def jpeg(color: QColor, width: int = 160, height: int = 90) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(color)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QImageWriter(buffer, QByteArray(b"jpeg"))
    writer.setQuality(90)
    assert writer.write(image), writer.errorString()
    buffer.close()
    data = bytes(buffer.data().data())
    assert data.startswith(b"\xff\xd8\xff")  # a JPEG's start of image
    return data


def close_to(image: QImage | None, color: QColor) -> bool:
    """The picture's centre is ``color``, give or take what JPEG does to it."""
    if image is None:
        return False
    got = image.pixelColor(image.width() // 2, image.height() // 2)
    return all(
        abs(a - b) <= 40
        for a, b in zip(
            (got.red(), got.green(), got.blue()),
            (color.red(), color.green(), color.blue()),
            strict=True,
        )
    )


def frame_message(image: bytes, url: str | None = "https://example.test/") -> str:
    return json.dumps({
        "workflow_run_id": "wr_1", "status": "running", "format": "jpeg",
        "screenshot": base64.b64encode(image).decode(), "url": url,
        "viewport_width": 160, "viewport_height": 90,
    })  # fmt: skip


# ---------------------------------------------------------------------- newest wins


def _frame(color: QColor) -> Frame:
    return Frame(jpeg(color), "jpeg", "https://example.test/", "running", 160, 90)


async def test_newest_frame_wins_and_every_frame_is_accounted_for(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    view = FrameView("runLiveFrame")
    qtbot.addWidget(view)
    slot = FrameSlot(view, lambda name, coro: tasks.spawn(name, coro), "pane.decode.test")
    slot.set_active(True)
    frames = [_frame(BLUE) for _ in range(49)] + [_frame(RED)]
    for n, frame in enumerate(frames):
        slot.offer(frame)
        if n % 5 == 4:
            await asyncio.sleep(0)  # a little time for the decoder, as between messages
    await wait_until(lambda: not tasks.names, what="the decoder to finish")
    assert slot.received == 50
    assert 1 <= slot.shown < 50
    assert slot.dropped == 0
    assert slot.replaced == slot.received - slot.shown - slot.dropped
    assert close_to(view.image(), RED)  # the last frame, whatever came between
    assert slot.latest is frames[-1]

    slot.offer(Frame(b"plain words, not a picture", "jpeg", None, None, None, None))
    await wait_until(lambda: slot.dropped == 1, what="the undecodable frame to be dropped")
    await wait_until(lambda: not tasks.names)
    assert close_to(view.image(), RED)  # the view keeps the last good picture
    assert slot.shown + slot.dropped + slot.replaced == slot.received == 51


async def test_a_hidden_view_decodes_nothing_until_shown_and_then_only_the_newest(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    view = FrameView("runLiveFrame")
    qtbot.addWidget(view)
    decodes: list[str] = []

    def spawn(name: str, coro: Any) -> object:
        decodes.append(name)
        return tasks.spawn(name, coro)

    slot = FrameSlot(view, spawn, "pane.decode.hidden")
    for color in (BLUE, GREEN, RED):
        slot.offer(_frame(color))
    await asyncio.sleep(0.05)
    assert decodes == []
    assert (slot.received, slot.shown, slot.replaced) == (3, 0, 2)
    assert view.image() is None
    slot.set_active(True)
    await wait_until(lambda: slot.shown == 1, what="the newest frame to be decoded")
    await wait_until(lambda: not tasks.names)
    assert decodes == ["pane.decode.hidden"]
    assert close_to(view.image(), RED)
    assert slot.shown == 1


# ---------------------------------------------------------------------- a real server

Script = Callable[[ServerConnection], Awaitable[None]]


class LiveApi:
    """A Skyvern server in miniature: the REST reads a run pane makes, and the run's
    WebSocket, on one port. Each WebSocket connection plays the next script."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.status = "running"
        self.port = 0
        self.paths: list[str] = []  # each WebSocket connection's request target
        self.closed = 0  # WebSocket connections that have ended
        self.rest: list[str] = []
        self.errors: list[BaseException] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        return len(self.paths)

    def _answer(self, path: str) -> tuple[int, Any]:
        if path == "/v1/runs/wr_1":
            return 200, run_json("wr_1", status=self.status)
        if path in ("/v1/runs/wr_1/timeline", "/v1/runs/wr_1/artifacts"):
            return 200, []
        if path == "/v1/config/runtime":
            return 200, {"browser_streaming_mode": "cdp"}
        return 404, {"detail": "Not Found"}

    def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None  # the live view: on to the handshake
        path = urlsplit(request.path).path
        self.rest.append(path)
        status, body = self._answer(path)
        response = ws.respond(status, json.dumps(body))
        del response.headers["Content-Type"]
        response.headers["Content-Type"] = "application/json"
        return response

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        index = len(self.paths)
        self.paths.append(ws.request.path)
        if index >= len(self.scripts):
            self.errors.append(AssertionError(f"WebSocket connection {index + 1} was unexpected"))
            await ws.close()
        else:
            # A script waiting for the test ends when the client leaves: a failing test
            # never leaves the server waiting.
            script = asyncio.ensure_future(self.scripts[index](ws))
            gone = asyncio.ensure_future(ws.wait_closed())
            await asyncio.wait({script, gone}, return_when=asyncio.FIRST_COMPLETED)
            script.cancel()
            (outcome,) = await asyncio.gather(script, return_exceptions=True)
            if isinstance(outcome, Exception) and not isinstance(outcome, ConnectionClosed):
                self.errors.append(outcome)  # the client going away mid-script is expected
        await ws.wait_closed()
        self.closed += 1

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[LiveApi]:
        async with serve(
            self.handler, "127.0.0.1", 0, process_request=self.process_request,
            logger=_SERVER_LOG,
        ) as server:  # fmt: skip
            self.port = next(iter(server.sockets)).getsockname()[1]
            yield self
        assert self.errors == []


async def hold(ws: ServerConnection) -> None:
    """Keep the socket open until the client closes it."""
    await ws.wait_closed()


class FastFeeds:
    """The pane's :class:`LiveFeed` with short pauses that a test can hold (``gate``)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.feeds: list[LiveFeed] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        await self.gate.wait()
        await asyncio.sleep(delay)

    def make(self, stream: Any, **options: Any) -> LiveFeed:
        policy = FeedPolicy(first_delay=0.05, max_delay=0.2, rand=lambda: 1.0)
        feed = LiveFeed(stream, policy=policy, sleep=self.sleep, **options)
        self.feeds.append(feed)
        return feed


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> FastFeeds:
    fast = FastFeeds()
    monkeypatch.setattr(following, "LiveFeed", fast.make)
    return fast


class Overview:
    """The Overview's widgets, found by name as a user's script would."""

    def __init__(self, pane: RunPane) -> None:
        def find(kind: type[Any], name: str) -> Any:
            widget = pane.findChild(kind, name)
            assert widget is not None, name
            return widget

        self.tab: QWidget = find(QWidget, "runOverview")
        self.frame: FrameView = find(FrameView, "runLiveFrame")
        self.url: QLabel = find(QLabel, "runOverviewUrl")
        self.live: QLabel = find(QLabel, "runOverviewLive")
        self.note: QLabel = find(QLabel, "runOverviewNote")

    def showing(self, color: QColor) -> bool:
        return close_to(self.frame.image(), color)


@asynccontextmanager
async def open_pane(qtbot: QtBot, tasks: TaskRunner, api: LiveApi) -> AsyncIterator[RunPane]:
    """A shown run pane for ``wr_1`` on ``api``, not yet started; stopped afterwards."""
    async with api.serving(), SkyvernClient(api.base_url, API_KEY, retry=NO_RETRY) as client:
        pane = run_pane("wr_1", client, tasks, policy=FAST_WATCH)
        qtbot.addWidget(pane)
        pane.resize(1000, 700)
        pane.show()
        try:
            yield pane
        finally:
            pane.stop()
            pane.tracker.stop()
            await tasks.join()
            pane.hide()


async def test_frames_show_live_in_the_overview_from_a_socket_on_the_apps_loop(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = "https://example.test/checkout"

    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_message(jpeg(GREEN), "https://example.test/"))
        await ws.send(frame_message(jpeg(BLUE), page))
        await hold(ws)

    api = LiveApi(script)
    async with open_pane(qtbot, tasks, api) as pane:
        view = Overview(pane)
        changes: list[bool] = []
        pane.live_changed.connect(changes.append)
        where: list[tuple[asyncio.AbstractEventLoop, threading.Thread]] = []
        offer = pane.follower.slot.offer

        def offer_here(frame: Frame) -> None:
            where.append((asyncio.get_running_loop(), threading.current_thread()))
            offer(frame)

        monkeypatch.setattr(pane.follower.slot, "offer", offer_here)
        pane.tracker.start()
        await wait_until(lambda: view.showing(BLUE), what="the newest frame on screen")
        await wait_until(lambda: view.url.text() == page, what="the frame's page")
        assert view.url.toolTip() == page
        assert view.live.isVisible()
        assert pane.follower.live
        assert changes == [True]
        assert view.note.text() == "Live: the run's browser as it is now."

        # The socket is read by a task of the loop that runs this test: qasync's, on the
        # main thread, where the widgets live; no thread and no second loop of its own.
        loop = asyncio.get_running_loop()
        assert isinstance(loop, qasync.QEventLoop)
        (stream_task,) = [t for t in asyncio.all_tasks() if t.get_name() == "pane.stream.wr_1"]
        assert stream_task.get_loop() is loop
        assert "pane.stream.wr_1" in tasks.names
        assert len(where) == 2
        assert all(w == (loop, threading.main_thread()) for w in where)
        assert threading.current_thread() is threading.main_thread()

        (path,) = api.paths
        assert urlsplit(path).path == STREAM_PATH
        assert parse_qs(urlsplit(path).query) == {"apikey": [API_KEY]}
        assert "/v1/config/runtime" in api.rest

        api.status = "completed"
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal)
        await wait_until(lambda: not pane.follower.live, what="the live dot to go out")
        assert changes == [True, False]
        assert not view.live.isVisible()
        assert view.showing(BLUE)  # the last picture stays
        await wait_until(
            lambda: (
                view.note.text() == "The run has ended. This is the last picture of its browser."
            )
        )
        assert api.closed == 0  # still open: the server has not signed off
    assert api.closed == 1
    assert api.connections == 1


async def test_closing_the_pane_closes_the_socket(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds
) -> None:
    async def script(ws: ServerConnection) -> None:
        while True:  # a frame every 20 ms until the client leaves
            await ws.send(frame_message(jpeg(GREEN)))
            await asyncio.sleep(0.02)

    api = LiveApi(script)
    async with open_pane(qtbot, tasks, api) as pane:
        pane.tracker.start()
        await wait_until(lambda: pane.follower.slot.shown >= 2, what="frames")
        pane.stop()
        pane.tracker.stop()
        await wait_until(lambda: api.closed == 1, within=3, what="the socket to close")
        await asyncio.sleep(0.2)
        assert api.connections == 1  # and not opened again
        assert feeds.delays == []
        await tasks.join()
        assert tasks.names == []


async def test_a_dropped_connection_says_reconnecting_and_frames_resume(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds
) -> None:
    async def drops(ws: ServerConnection) -> None:
        await ws.send(frame_message(jpeg(RED), "https://example.test/one"))
        await asyncio.sleep(0.1)
        ws.transport.abort()  # no close frame: the connection just ends

    async def resumes(ws: ServerConnection) -> None:
        await ws.send(frame_message(jpeg(GREEN), "https://example.test/two"))
        await hold(ws)

    api = LiveApi(drops, resumes)
    feeds.gate.clear()  # hold the pause before reconnecting, to see what the pane says
    async with open_pane(qtbot, tasks, api) as pane:
        view = Overview(pane)
        changes: list[bool] = []
        pane.live_changed.connect(changes.append)
        pane.tracker.start()
        await wait_until(lambda: view.showing(RED), what="the first frame")
        await wait_until(lambda: "reconnecting" in view.note.text(), what="the word")
        assert "connection dropped" in view.note.text()
        assert not pane.follower.live
        assert not view.live.isVisible()
        assert view.showing(RED)  # the last picture stays while it reconnects
        assert api.connections == 1
        feeds.gate.set()
        await wait_until(lambda: view.showing(GREEN), what="frames after the reconnect")
        await wait_until(lambda: view.url.text() == "https://example.test/two")
        assert api.connections == 2
        assert feeds.delays == [0.05]
        feed = pane.follower.feed
        assert feed is not None
        assert (feed.stats.connects, feed.stats.received) == (2, 2)
        assert pane.follower.live
        assert changes == [True, False, True]
        assert view.note.text() == "Live: the run's browser as it is now."


async def test_malformed_and_oversized_frames_are_dropped_and_the_window_keeps_going(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds
) -> None:
    bad_sent, good_again = asyncio.Event(), asyncio.Event()

    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_message(jpeg(RED), "https://example.test/one"))
        await bad_sent.wait()
        await ws.send(json.dumps({"screenshot": "**not base64**", "url": None}))
        await ws.send(json.dumps(["not", "an", "object"]))
        await ws.send(frame_message(bytes(MAX_FRAME_BYTES + 1024), None))  # over 8 MB
        await ws.send(b"\x00\x01binary")
        await ws.send(frame_message(b"valid base64, but not a picture", None))
        await good_again.wait()
        await ws.send(frame_message(jpeg(BLUE), "https://example.test/three"))
        await hold(ws)

    api = LiveApi(script)
    ticks: list[float] = []
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: ticks.append(time.monotonic()))
    async with open_pane(qtbot, tasks, api) as pane:
        view = Overview(pane)
        pane.tracker.start()
        await wait_until(lambda: view.showing(RED), what="the first frame")
        feed, slot = pane.follower.feed, pane.follower.slot
        assert feed is not None
        ticker.start()
        try:
            bad_sent.set()
            await wait_until(lambda: feed.stats.dropped == 4 and slot.dropped == 1, what="drops")
        finally:
            ticker.stop()
        # The window kept handling its events the whole time: no long gap between ticks.
        assert len(ticks) >= 3
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert max(gaps) < 2.0, f"the loop stalled for {max(gaps):.2f}s"
        assert feed.stats.received == 2  # the undecodable picture arrived whole
        assert "8 MB" in feed.stats.last_drop or "binary" in feed.stats.last_drop
        assert view.showing(RED)  # nothing bad reached the screen
        assert pane.follower.live
        good_again.set()
        await wait_until(lambda: view.showing(BLUE), what="a good frame after the bad ones")
        assert view.url.text() == "https://example.test/three"
        assert (feed.stats.received, feed.stats.dropped, slot.dropped) == (3, 4, 1)
        assert feed.stats.connects == 1
        assert api.connections == 1  # the bad frames did not cost the connection
        assert feeds.delays == []


async def test_a_refused_key_shows_the_servers_words_and_is_not_retried(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds
) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send("Invalid credential provided")
        await ws.close()

    api = LiveApi(script)
    async with open_pane(qtbot, tasks, api) as pane:
        view = Overview(pane)
        pane.tracker.start()
        await wait_until(
            lambda: "Invalid credential provided" in view.note.text(), what="the server's words"
        )
        assert view.note.text().startswith("The live view was refused: Invalid credential")
        assert API_KEY not in view.note.text()
        feed = pane.follower.feed
        assert feed is not None and feed.state is FeedState.REFUSED
        await asyncio.sleep(0.3)  # six first pauses' worth: a retry would have come
        assert api.connections == 1
        assert feeds.delays == []
        assert not pane.follower.live
        assert not view.live.isVisible()
        assert "pane.stream.wr_1" not in tasks.names


async def test_after_the_sign_off_the_socket_is_closed_and_not_reopened(
    qtbot: QtBot, tasks: TaskRunner, feeds: FastFeeds
) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send(frame_message(jpeg(RED)))
        await ws.send(json.dumps({"workflow_run_id": "wr_1", "status": "completed"}))
        await hold(ws)

    api = LiveApi(script)
    async with open_pane(qtbot, tasks, api) as pane:
        view = Overview(pane)
        pane.tracker.start()
        await wait_until(lambda: view.showing(RED), what="the frame")
        await wait_until(
            lambda: pane.follower.feed is not None and pane.follower.feed.state is FeedState.ENDED,
            what="the sign-off",
        )
        await wait_until(lambda: api.closed == 1, within=3, what="the client to close its socket")
        api.status = "completed"
        await wait_until(lambda: pane.run is not None and pane.run.is_terminal)
        await asyncio.sleep(0.3)
        assert api.connections == 1
        assert feeds.delays == []
        assert "pane.stream.wr_1" not in tasks.names
