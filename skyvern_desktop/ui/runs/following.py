"""Following a run while it goes on: its live picture, and its timeline and screenshots.

One :class:`RunFollower` per run pane. It owns three named tasks:

- ``pane.stream.<run>``: the live view's socket (:class:`~...core.live.LiveFeed`), open
  while the run goes on, whether the pane is shown or not (a hidden pane keeps only the
  newest frame, undecoded);
- ``pane.decode.<run>``: newest-wins decoding of frames, off the loop's thread;
- ``pane.follow.<run>``: the timeline and screenshots, read every 2–3 s while the pane is
  shown and the run goes on, less often while nothing changes. A hidden or finished pane
  makes no requests.

It writes only to the Overview, Steps and Screenshots widgets the pane gives it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from ...api.errors import SkyvernError
from ...core.runs.attention import Waiting, is_paused, read_question, waiting_for
from ...core.runs.live import FeedState, LiveFeed
from ...core.runs.progress import BlockPlace, block_labels, current_block, timeline_stamp
from ...core.runs.steps import steps_stamp
from ..format import duration_text
from ..tasks import TaskRunner
from ..widgets.frames import FrameSlot
from .overview import RunOverview
from .shots import ScreenshotsTab
from .steps import StepsView

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, TimelineItem

log = logging.getLogger(__name__)

REFRESH = 2.5
"""Seconds between reads of the timeline and screenshots while the run changes."""
REFRESH_MAX = 15.0
"""The longest pause between reads while nothing changes."""
NO_FRAME_GRACE = 6.0
"""Seconds without a picture (the run in a browser) before the Overview says so."""
NOT_STARTED = frozenset({"created", "queued"})


class RunFollower(QObject):
    live_changed = Signal(bool)  # the live picture started or stopped
    waiting_changed = Signal(object)  # Waiting | None: the question a paused run asks
    tick = Signal()  # every second while the run goes on and its pane is shown

    def __init__(
        self,
        run_id: str,
        client: SkyvernClient,
        tasks: TaskRunner,
        *,
        overview: RunOverview,
        steps: StepsView,
        shots: ScreenshotsTab,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.run_id = run_id
        self._client = client
        self._tasks = tasks
        self.overview = overview
        self.steps = steps
        self.shots = shots
        self.run: RunResponse | None = None
        self.feed: LiveFeed | None = None
        self.mode: str | None = None  # the server's streaming mode, once asked
        self.slot = FrameSlot(
            overview.frame, lambda name, coro: tasks.spawn(name, coro), f"pane.decode.{run_id}"
        )
        self.slot.on_shown = self._on_frame_shown
        self.place: BlockPlace | None = None
        self.requests = 0  # reads of the timeline and screenshots while following
        self._labels: list[str] | None = None
        self._blocks: list[object] = []  # the workflow's definition blocks
        self.waiting: Waiting | None = None
        self._paused_stamp: object = None  # the paused reading whose question was read
        self._stamp: object = None
        self._started = False
        self._stream_state = FeedState.CONNECTING
        self._stream_message = ""
        self._connected_at: float | None = None
        self._shown = asyncio.Event()
        self._still: int | None = None  # the screenshot the Overview shows (its cacheKey)
        self._elapsed = QTimer(self)
        self._elapsed.setObjectName("runElapsedTimer")
        self._elapsed.setInterval(1000)
        self._elapsed.timeout.connect(self._tick)
        overview.frame.set_text("Connecting…")

    # ------------------------------------------------------------------ state

    def over(self) -> bool:
        return self.run is not None and self.run.is_terminal

    def _running(self) -> bool:
        return self.run is not None and str(self.run.status) == "running"

    @property
    def live(self) -> bool:
        return self._stream_state is FeedState.LIVE and not self.over()

    def set_shown(self, shown: bool, *, picture: bool | None = None) -> None:
        """The pane is on screen, or not; ``picture``: its Overview is (frames are decoded
        only then; the newest is kept for when it shows)."""
        if shown:
            self._shown.set()
        else:
            self._shown.clear()
        self.slot.set_active(shown if picture is None else shown and picture)
        self._run_elapsed_timer()

    def _run_elapsed_timer(self) -> None:
        going = self.run is not None and not self.over() and self._shown.is_set()
        if going and not self._elapsed.isActive():
            self._elapsed.start()
        elif not going and self._elapsed.isActive():
            self._elapsed.stop()

    def update(self, run: RunResponse) -> None:
        """A newer reading of the run (from the pane's watcher)."""
        self.run = run
        self.overview.badge.set_status(str(run.status))
        self._show_elapsed()
        self._run_elapsed_timer()
        if not run.is_terminal and not self._started:
            self._started = True
            self._tasks.spawn(f"pane.stream.{self.run_id}", self._stream(run))
            self._tasks.spawn(f"pane.follow.{self.run_id}", self._follow())
        if is_paused(run.status) and run.modified_at != self._paused_stamp:
            # The run has (again) paused: its question is read at once, shown or not, so
            # the person is told what it is. (A paused run changes only when it pauses, is
            # answered or ends: a second pause reads the new question.)
            self._paused_stamp = run.modified_at
            self._tasks.spawn(f"pane.waiting.{self.run_id}", self._read_waiting())
        elif not is_paused(run.status):
            self._paused_stamp = None
            self._tasks.cancel(f"pane.waiting.{self.run_id}")
            self._set_waiting(None)
        if run.is_terminal:
            self._set_live(False)
            # A hidden pane's follower waits to be shown: it has nothing more to do. (The
            # pane reads the timeline and screenshots once more itself.)
            self._tasks.cancel(f"pane.follow.{self.run_id}")
        self._say()

    def stop(self) -> None:
        for what in ("stream", "follow", "decode", "waiting"):
            self._tasks.cancel(f"pane.{what}.{self.run_id}")
        self._elapsed.stop()
        self._shown.clear()
        self.slot.active = False

    # ------------------------------------------------------------------ the live view

    async def _stream(self, run: RunResponse) -> None:
        self.mode = await self._client.streaming_mode()
        if self.mode == "vnc":  # such a server sends us no pictures: do not hold a socket
            self._stream_state = FeedState.REFUSED
            self._say()
            return
        self._connected_at = time.monotonic()
        self.feed = LiveFeed(
            self._client.live_stream(self.run_id, browser_session_id=run.browser_session_id),
            run_over=self.over, running=self._running, on_frame=self.slot.offer,
            on_state=self._on_stream_state,
        )  # fmt: skip
        await self.feed.run()

    def _on_stream_state(self, state: FeedState, message: str) -> None:
        self._stream_state = state
        self._stream_message = message
        self._set_live(state is FeedState.LIVE)
        if self.feed is not None and self.feed.url:
            self.overview.set_url(self.feed.url)
        self._say()

    def _on_frame_shown(self) -> None:
        self.overview.use_frame()
        if self.feed is not None and self.feed.url:
            self.overview.set_url(self.feed.url)
        if self.slot.shown == 1:  # the first picture: the line moves under it
            self._say()

    def _set_live(self, live: bool) -> None:
        live = live and not self.over()
        if live != self.overview.live.isVisibleTo(self.overview):
            self.overview.set_live(live)
            self.live_changed.emit(live)

    # ------------------------------------------------------------------ timeline, screenshots

    async def _follow(self) -> None:
        interval = REFRESH
        while not self.over():
            await self._shown.wait()
            if self.over():
                return
            changed = await self.refresh()
            interval = REFRESH if changed else min(interval * 1.6, REFRESH_MAX)
            await asyncio.sleep(interval)

    async def refresh(self, *, final: bool = False) -> bool:
        """Read the timeline and the screenshots once; ``True`` when either changed."""
        changed = await self._read_timeline()
        urls = await self._screenshot_urls()
        if urls is not None:
            changed = await self.shots.load(urls, final=final) or changed
        self._say()
        return changed

    async def _read_timeline(self) -> bool:
        """Read the timeline once; show it, the block the run is in, and the question a
        paused run asks. ``True`` when it changed."""
        if self._labels is None:
            self._blocks = await self._workflow_blocks()
            self._labels = block_labels(self._blocks)
        try:
            self.requests += 1
            timeline = await self._client.get_run_timeline(self.run_id)
        except SkyvernError as exc:
            log.info("timeline of %s: %s", self.run_id, exc)
            return False
        if self.run is not None and is_paused(self.run.status):
            self._set_waiting(waiting_for(timeline, self._blocks))
        if (stamp := (timeline_stamp(timeline), steps_stamp(timeline))) == self._stamp:
            return False
        self._stamp = stamp
        self.steps.fill(timeline, final=self.over())
        self._show_place(timeline)
        return True

    async def _read_waiting(self) -> None:
        """The run has paused: read what it asks. The human-interaction block writes its
        question just before it pauses the run, so the first reading has it; one more try
        covers a timeline that lagged."""

        async def read() -> Waiting | None:
            await self._read_timeline()  # shows the timeline too, and sets self.waiting
            return self.waiting

        await read_question(
            read, still_paused=lambda: self.run is not None and is_paused(self.run.status)
        )

    def _set_waiting(self, waiting: Waiting | None) -> None:
        if waiting != self.waiting:
            self.waiting = waiting
            self.waiting_changed.emit(waiting)

    async def _workflow_blocks(self) -> list[object]:
        wpid = self.run.workflow_permanent_id if self.run is not None else None
        if not wpid:
            return []
        try:
            self.requests += 1
            workflow = await self._client.get_workflow(wpid)
        except SkyvernError:
            return []
        definition = workflow.workflow_definition
        return list(definition.blocks) if definition is not None else []

    def _show_place(self, timeline: list[TimelineItem]) -> None:
        self.place = current_block(timeline, self._labels or [])
        self.overview.block.setText(self.place.text() if self.place else "Block: —")
        if self.place is not None and self.place.url and not self.live:
            self.overview.set_url(self.place.url)

    async def _screenshot_urls(self) -> list[str] | None:
        run = self.run
        if run is not None and run.screenshot_urls:
            return list(run.screenshot_urls)
        try:
            self.requests += 1
            artifacts = await self._client.list_artifacts(self.run_id)
        except SkyvernError as exc:
            log.info("artifacts of %s: %s", self.run_id, exc)
            return None
        shots = sorted((a for a in artifacts if a.is_screenshot), key=lambda a: a.created_at)
        return [a.signed_url or a.uri for a in reversed(shots)]

    # ------------------------------------------------------------------ words

    def _tick(self) -> None:
        self.tick.emit()
        self._show_elapsed()
        self._say()  # "no live picture yet" once the grace has passed

    def _show_elapsed(self) -> None:
        run = self.run
        if run is None:
            return
        if run.is_terminal:
            took = duration_text(run.started_at or run.created_at, run.finished_at)
            self.overview.elapsed.setText(f"Took {took}" if took else "")
        elif run.started_at is None:
            self.overview.elapsed.setText("Not started yet")
        else:
            took = duration_text(run.started_at, datetime.now(UTC))
            self.overview.elapsed.setText(
                f"Started {took} ago" if is_paused(run.status) else f"Running for {took}"
            )

    def _say(self) -> None:
        """The line under the picture, and the picture when it is not the live one."""
        note, picture = self._words()
        frame = self.overview.frame
        if picture:
            newest = self.shots.newest()
            # A live frame, even an old one, stays in front; a screenshot is converted
            # once, not at every tick.
            if newest is not None and self.slot.shown == 0 and newest.cacheKey() != self._still:
                self._still = newest.cacheKey()
                self.overview.show_still(newest.toImage())
        # Without a picture the line is written across the empty picture instead.
        frame.set_text(note if frame.image() is None else "")
        self.overview.note.setText(note)
        self.overview.note.setVisible(frame.image() is not None)

    def _words(self) -> tuple[str, bool]:
        """What the Overview says, and whether it shows the newest screenshot."""
        run = self.run
        if run is None:
            return "Connecting…", False
        if run.is_terminal:
            if self.slot.shown:
                return "The run has ended. This is the last picture of its browser.", False
            if self.shots.newest() is not None:
                return "The run has ended. This is its newest screenshot.", True
            return "The run has ended. There is no picture of its browser.", False
        if str(run.status) in NOT_STARTED:
            return "Waiting for the run to start…", False
        state = self._stream_state
        if state is FeedState.LIVE:
            return "Live: the run's browser as it is now.", False
        fallback = (
            " Showing the newest screenshot, refreshed while the run goes on."
            if self.shots.newest() is not None
            else " Its screenshots will show here as it takes them."
        )
        if self.mode == "vnc":
            return (
                "This server does not stream the browser to this app (its streaming mode is"
                " “vnc”; “cdp” sends live pictures)." + fallback,
                True,
            )
        if state is FeedState.REFUSED:
            return f"The live view was refused: {self._stream_message}" + fallback, True
        if state is FeedState.RECONNECTING:
            if self.slot.shown:
                return (
                    f"The live view was interrupted ({self._stream_message}); reconnecting…",
                    False,
                )
            return (
                f"The live view is not connected ({self._stream_message}); retrying." + fallback,
                True,
            )
        waited = time.monotonic() - self._connected_at if self._connected_at else 0.0
        if self.slot.shown == 0 and waited >= NO_FRAME_GRACE:
            return "No live picture from the server yet." + fallback, True
        return "Waiting for the browser's first picture…", False
