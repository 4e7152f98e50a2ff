"""Sign in once, by hand: a browser session shown live, taken control of, and saved as a
browser profile that runs start from.

The view is a real browser surface: it takes the keyboard while it has focus (Escape gives
the keyboard back to the window), shows where the pointer is on the page, scales clicks and
the wheel to the remote page, and keeps its address bar on the page's address. Frames keep
coming while one types: input goes out on its own socket, pictures come on another.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...api.cdp_input import (
    NAVIGATE_ERRORS,
    InputRefusedError,
)
from ...api.errors import NetworkError, SkyvernError
from ...core.runs.live import FeedState, LiveFeed
from ...core.runs.remote_input import Event, click
from ..widgets.frames import FrameSlot
from ..widgets.labels import error_label
from ..widgets.remote_view import RemoteView

if TYPE_CHECKING:
    from ...api.cdp_input import CdpInput
    from ...api.client import SkyvernClient
    from ...api.models import BrowserSession
    from ...api.stream import Frame
    from ..tasks import TaskRunner


class SignInWindow(QWidget):
    """A browser session to sign in by hand. ``save_requested(name)`` when Save is pressed;
    ``closed()`` when the window closes (the owner decides about the session)."""

    save_requested = Signal(str)
    closed = Signal()

    def __init__(
        self,
        session: BrowserSession,
        client: SkyvernClient,
        tasks: TaskRunner,
        start_url: str = "",
        parent: QWidget | None = None,
        *,
        control: bool = True,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._take_control = control
        self.busy_saving = False
        self._forced = False
        self.setObjectName("signinWindow")
        self.setWindowTitle("New login: sign in by hand")
        self.session = session
        self._client = client
        self._tasks = tasks
        self._prefix = f"ui.logins.signin.{session.browser_session_id}"
        self.ended = False
        self.control: CdpInput | None = None
        self.latencies: list[float] = []  # key press → the first changed picture, in ms
        self._key_at: float | None = None
        self._before_key: bytes | None = None  # the picture when the key was pressed
        self.last_input_at: float | None = None
        self._start_url = start_url
        self.page_url = ""

        outer = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.back = self._tool("signinBack", "◀", "Back", lambda: self._history("goBackEvent"))
        self.forward = self._tool(
            "signinForward", "▶", "Forward", lambda: self._history("goForwardEvent")
        )
        self.reload = self._tool(
            "signinReload", "⟳", "Reload", lambda: self._history("reloadEvent")
        )
        self.address = QLineEdit()
        self.address.setObjectName("signinAddress")
        self.address.setAccessibleName("Address")
        self.address.setPlaceholderText("Type the sign-in page's address, then Enter")
        self.address.returnPressed.connect(self.go)
        for w in (self.back, self.forward, self.reload):
            bar.addWidget(w)
        bar.addWidget(self.address, 1)
        outer.addLayout(bar)
        self.address_error = error_label("signinAddressError")
        outer.addWidget(self.address_error)
        self.view = RemoteView("signinView")
        self.view.set_text("Starting a browser on the server…")
        self.view.sent.connect(self._send)
        self.view.key_pressed.connect(self._on_key)
        outer.addWidget(self.view, 1)
        self.slot = FrameSlot(self.view, self._spawn_named, f"{self._prefix}.decode")
        self.status = QLabel()
        self.status.setObjectName("signinStatus")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        foot = QHBoxLayout()
        foot.addWidget(QLabel("Keep it as"))
        self.profile_name = QLineEdit()
        self.profile_name.setObjectName("signinProfileName")
        self.profile_name.setAccessibleName("Profile name")
        self.profile_name.setPlaceholderText("e.g. Acme portal, signed in")
        foot.addWidget(self.profile_name, 1)
        self.save = QPushButton("Save as profile")
        self.save.setObjectName("signinSave")
        self.save.setToolTip("Keep this browser, signed in, as a profile; the session then ends")
        self.save.clicked.connect(self._on_save)
        foot.addWidget(self.save)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("signinClose")
        self.close_button.clicked.connect(self.close)
        foot.addWidget(self.close_button)
        outer.addLayout(foot)
        self.name_error = error_label("signinNameError")
        outer.addWidget(self.name_error)
        self.resize(1100, 760)
        self._say("Starting a browser on the server…")
        if not control:
            shown_only: tuple[QWidget, ...] = (
                self.save, self.profile_name, self.address, self.back, self.forward, self.reload,
            )  # fmt: skip
            for widget in shown_only:
                widget.setEnabled(False)
            self.save.setToolTip("Only a session started here (New login…) can be saved")

    def _tool(self, name: str, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.clicked.connect(slot)
        return button

    @property
    def task_prefix(self) -> str:
        return self._prefix

    def _spawn_named(self, name: str, coro: Any) -> object:
        return self._tasks.spawn(name, coro)

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        """Show the session live and take control of it."""
        self.slot.set_active(True)
        self._tasks.spawn(f"{self._prefix}.feed", self._feed())
        if self._take_control:
            self._tasks.spawn(f"{self._prefix}.control", self._control())
        else:
            self._say(
                "Shown only: this session was not started here, or a run is using it, so the"
                " app does not take its keyboard and mouse."
            )

    async def _feed(self) -> None:
        sid = self.session.browser_session_id
        feed = LiveFeed(
            self._client.live_stream(run_id=sid, browser_session_id=sid),
            run_over=lambda: self.ended,
            # A still page sends no pictures: that is no fault. Just after a click, a key or
            # a new address a picture is due, so a socket that stays silent then is opened
            # again (the screencast sometimes stalls after a navigation).
            running=lambda: (
                self.last_input_at is not None and time.monotonic() - self.last_input_at < 15
            ),
            on_frame=self._on_frame,
            on_state=self._on_feed_state,
        )
        await feed.run()

    def _on_feed_state(self, state: FeedState, message: str) -> None:
        if state is FeedState.REFUSED:
            self.view.set_text(f"The server refused to show this browser: {message}")
        elif state is FeedState.RECONNECTING and not self.ended:
            self._say(f"Reconnecting to the picture ({message})…")
        elif state is FeedState.ENDED:
            self._session_ended("The browser session has ended.")

    def _on_frame(self, frame: Frame) -> None:
        if self._key_at is not None and frame.image != self._before_key:
            # The first picture that differs from the one on screen at the key press: the
            # page has drawn what was typed (a picture already on its way shows no change).
            self.latencies.append((time.monotonic() - self._key_at) * 1000)
            self._key_at = None
            self._say_ready()
        if frame.width and frame.height:
            self.view.remote_size = (frame.width, frame.height)
        self.slot.offer(frame)
        if frame.url and frame.url != self.page_url:
            self.page_url = frame.url
            if not self.address.hasFocus():
                self.address.setText(frame.url if frame.url != "about:blank" else "")

    async def _control(self) -> None:
        sid = self.session.browser_session_id
        failures = 0
        while not self.ended:
            self.control = self._client.cdp_input(
                sid, f"desktop-{uuid.uuid4().hex[:10]}", self._on_reply
            )
            waiting = asyncio.create_task(
                self._wait_control(self.control), name=f"{self._prefix}.ready"
            )
            try:
                await self.control.run()
                failures = 0
            except InputRefusedError as exc:
                self._session_ended(str(exc))
                return
            except NetworkError as exc:
                failures += 1
                self.view.input_enabled = False
                self._say(f"Typing into the browser is paused: {exc} Trying again…")
                await asyncio.sleep(min(10.0, 1.0 * 2**failures))
            except SkyvernError as exc:
                self.view.input_enabled = False
                self._say(
                    f"View only: this server cannot take input for the browser ({exc}). You"
                    " can still watch it."
                )
                return
            finally:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting

    async def _wait_control(self, control: CdpInput) -> None:
        while not control.in_control:  # noqa: ASYNC110 - a flag the socket task sets
            await asyncio.sleep(0.05)
        self.view.input_enabled = True
        if self._start_url and not self.page_url:
            self.address.setText(self._start_url)
            self.go()
        self._say_ready()

    def _say_ready(self) -> None:
        text = (
            "Click in the page and type, as in any browser (Escape gives the keyboard back;"
            " Enter does not send forms on this server: use the page's button). Then name"
            " the profile and press Save."
        )
        if self.latencies:
            text += (
                f" Typing reaches the picture in about {statistics.median(self.latencies):.0f} ms."
            )
        self._say(text)

    def _on_reply(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "navigate-error":
            reason = str(message.get("reason") or "")
            self.address_error.setText(
                NAVIGATE_ERRORS.get(reason, f"The page could not open ({reason}).")
            )
            self.address_error.show()

    def _send(self, events: list[Event]) -> None:
        control = self.control
        if control is None or not control.in_control:
            return
        for event in events:
            control.send(event)
        if any(e.get("eventType") in ("mousePressed", "keyDown", "rawKeyDown") for e in events):
            self.last_input_at = time.monotonic()

    def _on_key(self) -> None:
        if self._key_at is None:
            self._key_at = time.monotonic()
            latest = self.slot.latest
            self._before_key = latest.image if latest is not None else None

    def click_page(self, x: int, y: int) -> None:
        """Click page point ``(x, y)`` (what a click there in the view sends)."""
        self._send(click(x, y))

    def go(self) -> None:
        url = self.address.text().strip()
        self.address_error.hide()
        if not url:
            return
        if "://" not in url:
            url = "https://" + url
            self.address.setText(url)
        if self.control is None or not self.control.in_control:
            self.address_error.setText("The browser is not ready yet; try again in a moment.")
            self.address_error.show()
            return
        self.control.navigate(url)
        self.last_input_at = time.monotonic()
        self.view.setFocus()

    def _history(self, kind: str) -> None:
        if self.control is not None and self.control.in_control:
            self.control.history(kind)

    def _session_ended(self, why: str) -> None:
        self.ended = True
        self.view.input_enabled = False
        self.save.setEnabled(False)
        self._say(why)

    # ------------------------------------------------------------------ saving

    def _on_save(self) -> None:
        name = self.profile_name.text().strip()
        if not name:
            self.name_error.setText("Name the profile first, e.g. “Acme portal, signed in”.")
            self.name_error.show()
            self.profile_name.setFocus()
            return
        self.name_error.hide()
        self.save.setEnabled(False)
        self.view.input_enabled = False
        self.save_requested.emit(name)

    def saving(self, seconds_left: float) -> None:
        self._say(
            f"Saving… The browser writes a new sign-in to disk within half a minute, so the"
            f" session is kept for {seconds_left:.0f} s more before it closes."
            if seconds_left > 0
            else "Saving…"
        )

    def save_failed(self, text: str) -> None:
        self.save.setEnabled(not self.ended)
        self.view.input_enabled = not self.ended
        self.name_error.setText(text)
        self.name_error.show()

    def stop(self) -> None:
        for name in self._tasks.names:
            if name.startswith(self._prefix):
                self._tasks.cancel(name)

    def closeEvent(self, event: Any) -> None:
        if self.busy_saving and not self._forced:
            event.ignore()  # closing now would lose the sign-in being saved
            self._say("Saving the profile… the window closes by itself when it is saved.")
            return
        self.stop()
        self.ended = True
        super().closeEvent(event)
        self.closed.emit()

    def force_close(self) -> None:
        """Close even while saving (the app quits, or the connection changed)."""
        self._forced = True
        self.close()
