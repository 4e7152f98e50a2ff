"""The live feed (reconnects while the run goes on, stops at the sign-off or a refusal) and
where a run stands (its current block, and when its timeline changed)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import pytest

from skyvern_desktop.api.errors import AuthError, NetworkError, NetworkErrorKind, NotFoundError
from skyvern_desktop.api.models import TimelineItem
from skyvern_desktop.api.stream import (
    BadFrame,
    Frame,
    Message,
    Opened,
    Quiet,
    SignOff,
    StreamRefusedError,
)
from skyvern_desktop.core.runs.live import FeedPolicy, FeedState, LiveFeed
from skyvern_desktop.core.runs.progress import BlockPlace, current_block, timeline_stamp

Step = Message | Exception


def frame(url: str | None = "https://example.test/", image: bytes = b"jpeg") -> Frame:
    return Frame(image=image, format="jpeg", url=url, status="running", width=8, height=6)


def dropped(reason: str = "a frame that is not valid base64", url: str | None = None) -> BadFrame:
    return BadFrame(reason, url, "running")


def network_error(words: str = "The live view's connection dropped (no close frame).") -> Exception:
    return NetworkError(words, NetworkErrorKind.OTHER)


class ScriptedStream:
    """One script per connection: its messages, ending in an exception or a clean close.

    ``closed`` counts the connections the feed has finished with (their generator closed,
    as the real stream's closes its socket); ``open_when_opening`` what was still open
    each time a new one was opened."""

    url = "ws://example.test/api/v1/stream/workflow_runs/wr_1"

    def __init__(self, *connections: Sequence[Step]) -> None:
        self._connections = list(connections)
        self.opened = 0
        self.closed = 0
        self.open_when_opening: list[int] = []
        self.quiet_after: list[float | None] = []

    async def messages(self, *, quiet_after: float | None = None) -> AsyncGenerator[Message, None]:
        if self.opened >= len(self._connections):
            raise AssertionError(f"connection {self.opened + 1} was not scripted")
        self.open_when_opening.append(self.opened - self.closed)
        self.quiet_after.append(quiet_after)
        script = self._connections[self.opened]
        self.opened += 1
        try:
            for step in script:
                if isinstance(step, Exception):
                    raise step
                yield step
        finally:
            self.closed += 1


class Harness:
    """The feed's callbacks and sleeps, recorded; ``over`` is what ``run_over()`` answers."""

    def __init__(
        self, stream: ScriptedStream, *, over: bool = False, running: bool = True,
        stall_after: float = 4.0,
    ) -> None:  # fmt: skip
        self.over = over
        self.running = running
        self.frames: list[Frame] = []
        self.urls: list[str | None] = []  # the feed's url as each frame was handed on
        self.states: list[tuple[FeedState, str]] = []
        self.delays: list[float] = []
        self.end_during_sleep = False
        self.feed = LiveFeed(
            stream, run_over=lambda: self.over, running=lambda: self.running,
            on_frame=self.on_frame,
            on_state=lambda state, message: self.states.append((state, message)),
            policy=FeedPolicy(rand=lambda: 1.0, stall_after=stall_after), sleep=self.sleep,
        )  # fmt: skip

    def on_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        self.urls.append(self.feed.url)

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if self.end_during_sleep:
            self.over = True

    @property
    def kinds(self) -> list[FeedState]:
        return [state for state, _ in self.states]


def test_the_pause_grows_from_the_first_delay_to_the_ceiling_with_jitter_below() -> None:
    top = FeedPolicy(rand=lambda: 1.0)
    assert [top.delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    bottom = FeedPolicy(rand=lambda: 0.0)
    assert [bottom.delay(n) for n in (1, 3, 9)] == [0.5, 2.0, 10.0]  # never a tight loop


@pytest.mark.asyncio
async def test_a_dropped_connection_is_reopened_with_growing_pauses_until_the_sign_off() -> None:
    stream = ScriptedStream(
        [Opened(), frame(), network_error()],
        [network_error("Nothing answers at ws://…: is the server running?")],
        [network_error()],
        [Opened(), frame(), network_error()],  # a picture came: the pauses start over
        [Opened(), SignOff("completed")],
    )
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 5
    assert h.delays == [1.0, 2.0, 4.0, 1.0]
    assert h.feed.state is FeedState.ENDED
    assert h.states[-1] == (FeedState.ENDED, "completed")
    assert h.states[0] == (FeedState.CONNECTING, "")
    reconnecting = [m for s, m in h.states if s is FeedState.RECONNECTING]
    assert reconnecting[1] == "Nothing answers at ws://…: is the server running?"
    assert len(reconnecting) == 4
    assert h.feed.stats.connects == 3
    assert h.feed.stats.received == 2
    assert stream.closed == 5  # every connection finished with, the last at its sign-off
    assert stream.open_when_opening == [0, 0, 0, 0, 0]


@pytest.mark.asyncio
async def test_a_clean_close_while_the_run_goes_on_is_reopened() -> None:
    stream = ScriptedStream([Opened()], [Opened(), frame(), SignOff("failed")])
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 2
    assert h.delays == [1.0]
    assert (FeedState.RECONNECTING, "the server closed the live view") in h.states
    assert h.states[-1] == (FeedState.ENDED, "failed")


@pytest.mark.asyncio
async def test_the_state_goes_waiting_then_live_once_and_frames_are_handed_on() -> None:
    first, second = frame("https://a.test/"), frame("https://b.test/")
    h = Harness(ScriptedStream([Opened(), first, second, SignOff("completed")]))
    await h.feed.run()
    assert h.kinds == [FeedState.CONNECTING, FeedState.WAITING, FeedState.LIVE, FeedState.ENDED]
    assert h.frames == [first, second]
    assert h.delays == []


@pytest.mark.asyncio
async def test_a_timeout_sign_off_while_the_run_goes_on_reconnects() -> None:
    stream = ScriptedStream([Opened(), SignOff("timeout")], [Opened(), SignOff("completed")])
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 2
    assert h.delays == [1.0]
    assert (FeedState.RECONNECTING, "the server stopped waiting for the browser") in h.states
    assert h.states[-1] == (FeedState.ENDED, "completed")
    # The first socket was closed before the second was opened, not left to the collector.
    assert stream.open_when_opening == [0, 0]
    assert stream.closed == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("status", ["running", "paused", "queued"])
async def test_a_sign_off_with_a_status_that_is_not_final_reconnects(status: str) -> None:
    """skyvern 1.0.56 ends a screencast that stopped (its page swapped, say) with the run's
    current status: "a status that is not final is the viewer's cue to reconnect". Seen in
    CI: a browser run's live view got that sign-off before its first picture and, taken as
    the end, showed nothing for the whole run."""
    late = frame()
    stream = ScriptedStream([Opened(), SignOff(status)], [Opened(), late, SignOff("completed")])
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 2
    assert h.delays == [1.0]
    assert (FeedState.RECONNECTING, "the server's picture stopped while the run goes on") in (
        h.states
    )
    assert h.frames == [late]
    assert h.states[-1] == (FeedState.ENDED, "completed")


@pytest.mark.asyncio
@pytest.mark.parametrize("status", ["completed", "canceled", "session_expired", "not_found"])
async def test_a_final_sign_off_ends_the_feed(status: str) -> None:
    stream = ScriptedStream([Opened(), SignOff(status)], [Opened(), SignOff("completed")])
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 1 and h.delays == []
    assert h.states[-1] == (FeedState.ENDED, status)


@pytest.mark.asyncio
async def test_a_running_sign_off_after_the_run_ended_ends_the_feed() -> None:
    stream = ScriptedStream([Opened(), SignOff("running")])
    h = Harness(stream, over=True)
    await h.feed.run()
    assert stream.opened == 1 and h.delays == []
    assert h.states[-1] == (FeedState.ENDED, "running")


@pytest.mark.asyncio
async def test_a_timeout_sign_off_after_the_run_ended_ends_the_feed() -> None:
    stream = ScriptedStream([Opened(), SignOff("timeout")])
    h = Harness(stream, over=True)
    await h.feed.run()
    assert stream.opened == 1
    assert h.delays == []
    assert h.states[-1] == (FeedState.ENDED, "timeout")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "refusal",
    [
        StreamRefusedError("Invalid credential provided"),
        AuthError("The server refused the live view of this run (HTTP 403).", status_code=403),
        NotFoundError("This server has no live view at ws://… (HTTP 404).", status_code=404),
    ],
)
async def test_a_refusal_is_not_retried(refusal: Exception) -> None:
    stream = ScriptedStream([Opened(), frame(), refusal], [Opened(), frame()])
    h = Harness(stream)
    await h.feed.run()
    assert stream.opened == 1
    assert h.delays == []
    assert h.feed.state is FeedState.REFUSED
    assert h.states[-1] == (FeedState.REFUSED, str(refusal))
    assert stream.closed == 1


@pytest.mark.asyncio
async def test_a_drop_after_the_run_ended_is_not_reopened() -> None:
    stream = ScriptedStream([Opened(), frame(), network_error()], [Opened()])
    h = Harness(stream, over=True)
    await h.feed.run()
    assert stream.opened == 1
    assert h.delays == []
    assert h.states[-1] == (FeedState.ENDED, "")


@pytest.mark.asyncio
async def test_a_run_that_ends_during_the_pause_is_not_reopened() -> None:
    stream = ScriptedStream([Opened(), network_error()], [Opened()])
    h = Harness(stream)
    h.end_during_sleep = True
    await h.feed.run()
    assert stream.opened == 1
    assert h.delays == [1.0]
    assert h.kinds[-2:] == [FeedState.RECONNECTING, FeedState.ENDED]


@pytest.mark.asyncio
async def test_pictures_and_drops_are_counted_and_the_url_follows_the_newest() -> None:
    stream = ScriptedStream(
        [
            Opened(), frame("https://a.test/1"), dropped(url="https://a.test/2"),
            frame(None), dropped("a frame over 8 MB"), frame("https://a.test/3"),
            network_error(),
        ],
        [Opened(), dropped("a message that is not an object"), SignOff("completed")],
    )  # fmt: skip
    h = Harness(stream)
    await h.feed.run()
    stats = h.feed.stats
    assert (stats.received, stats.dropped, stats.connects) == (3, 3, 2)
    assert stats.last_drop == "a message that is not an object"
    # A frame without an address keeps the one the page had (a bad frame's counts too).
    assert h.urls == ["https://a.test/1", "https://a.test/2", "https://a.test/3"]
    assert h.feed.url == "https://a.test/3"


@pytest.mark.asyncio
async def test_a_socket_without_pictures_while_the_run_runs_is_opened_again() -> None:
    stream = ScriptedStream(
        [Opened(), Quiet(), Quiet(), frame()],  # the frame is never read
        [Opened(), frame(), Quiet(), Quiet(), SignOff("completed")],
    )
    h = Harness(stream, stall_after=0.0)
    await h.feed.run()
    assert stream.opened == 2
    assert (FeedState.RECONNECTING, "no picture came") in h.states
    assert h.delays == [1.0]
    assert h.feed.stats.received == 1  # quiet after a picture is just a still page
    assert stream.open_when_opening == [0, 0]
    assert stream.closed == 2
    assert stream.quiet_after[0] is not None


@pytest.mark.asyncio
async def test_quiet_before_the_run_runs_is_waited_out() -> None:
    stream = ScriptedStream([Opened(), Quiet(), Quiet(), Quiet(), frame(), SignOff("completed")])
    h = Harness(stream, running=False, stall_after=0.0)  # queued: no browser yet
    await h.feed.run()
    assert stream.opened == 1
    assert h.delays == []
    assert h.states[-1] == (FeedState.ENDED, "completed")
    assert h.feed.stats.received == 1


# ---------------------------------------------------------------------- where the run stands

LABELS = ["open", "extract", "save"]


def item(
    label: str, status: str, created: str, *, url: str | None = None,
    children: Sequence[dict[str, Any]] = (), modified: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "block",
        "block": {
            "label": label, "status": status, "url": url, "block_type": "navigation",
            "created_at": f"2026-11-29T15:{created}Z",
            "modified_at": f"2026-11-29T15:{modified or created}Z",
        },
        "children": list(children),
        "created_at": f"2026-11-29T15:{created}Z",
    }  # fmt: skip


def timeline(*items: dict[str, Any]) -> list[TimelineItem]:
    return [TimelineItem.model_validate(i) for i in items]


def test_the_current_block_is_the_one_still_running_with_its_place() -> None:
    # Newest first, as the server sends it: the newest block has ended, an older one runs.
    place = current_block(
        timeline(
            item("save", "completed", "10:00", url="https://a.test/save"),
            item("extract", "running", "09:00", url="https://a.test/extract"),
            item("open", "completed", "08:00"),
        ),
        LABELS,
    )
    assert place == BlockPlace("extract", 2, 3, "https://a.test/extract")
    assert place is not None and place.text() == "Block 2 of 3: extract"


def test_without_a_running_block_the_newest_one_is_current() -> None:
    place = current_block(
        timeline(item("open", "completed", "08:00"), item("save", "failed", "10:00"),
                 item("extract", "completed", "09:00")),
        LABELS,
    )  # fmt: skip
    assert place is not None
    assert place.text() == "Block 3 of 3: save"


def test_a_label_the_workflow_does_not_list_has_no_place() -> None:
    place = current_block(timeline(item("loop_inner", "running", "08:00")), LABELS)
    assert place == BlockPlace("loop_inner", None, 3, None)
    assert place.text() == "Block: loop_inner"
    unknown = current_block(timeline(item("open", "running", "08:00")), [])
    assert unknown is not None and unknown.text() == "Block: open"


def test_the_page_is_the_newest_childs() -> None:
    children = [
        item("step1", "completed", "08:01", url="https://a.test/one"),
        item("step2", "running", "08:02", url="https://a.test/two"),
        item("step3", "created", "08:03"),
    ]
    place = current_block(
        timeline(item("extract", "running", "08:00", url="https://a.test/", children=children)),
        LABELS,
    )
    assert place is not None and place.url == "https://a.test/two"


def test_no_blocks_no_place() -> None:
    assert current_block([], LABELS) is None
    thought = TimelineItem.model_validate({"type": "thought", "thought": {"text": "hm"}})
    assert current_block([thought], LABELS) is None


def test_the_timeline_stamp_changes_when_a_block_does() -> None:
    before = timeline(item("open", "running", "08:00"))
    same = timeline(item("open", "running", "08:00"))
    done = timeline(item("open", "completed", "08:00"))
    later = timeline(item("open", "running", "08:00", modified="08:30"))
    child = timeline(item("open", "running", "08:00", children=[item("c", "running", "08:01")]))
    assert timeline_stamp(before) == timeline_stamp(same)
    stamps = {timeline_stamp(t) for t in (before, done, later, child)}
    assert len(stamps) == 4


@pytest.mark.asyncio
async def test_a_socket_left_waiting_after_the_run_has_ended_is_closed_at_the_next_quiet() -> None:
    # A run without a browser: the server holds the socket up to two minutes waiting for
    # one, and sends nothing. Once the run has ended the feed does not wait for it.
    stream = ScriptedStream([Opened(), Quiet(), Quiet(), SignOff("timeout")])
    h = Harness(stream)
    original = stream.messages

    async def messages(*, quiet_after: float | None = None) -> AsyncGenerator[Message, None]:
        async with contextlib.aclosing(original(quiet_after=quiet_after)) as inner:
            async for message in inner:
                if isinstance(message, Quiet):
                    h.over = True  # the watcher saw the end meanwhile
                yield message

    stream.messages = messages  # type: ignore[method-assign]
    await h.feed.run()
    assert h.feed.state is FeedState.ENDED
    assert h.kinds[-1] is FeedState.ENDED
    assert stream.opened == 1 and stream.closed == 1
    assert h.delays == []  # not reopened, and not waited on until the server's timeout
