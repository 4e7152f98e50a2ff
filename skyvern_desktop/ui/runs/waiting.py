"""The "Waiting for you" panel of a paused run's Overview, and the two answers.

Approve sends ``continue`` (the run goes on from where it paused); Reject cancels the run,
as Skyvern's web UI does. Each asks once for confirmation and sends one request per press;
a refusal (someone answered first, the time ran out) is said in plain words here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import ApiError, NotFoundError, OutcomeUnknownError, SkyvernError
from ...core.runs.attention import Waiting, is_paused, time_left_text
from ..dialogs import ask

if TYPE_CHECKING:
    from ...api.client import SkyvernClient

PANEL_STYLE = (
    "#runWaiting { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }"
    " #runWaiting QLabel { background: transparent; color: #1f2328; }"
)
APPROVE_STYLE = (
    "QPushButton { background: #1f883d; color: white; font-weight: bold; padding: 4px 14px; }"
)
GONE_TEXT = (
    "This run is no longer waiting: someone may have answered it already, or its time ran"
    " out. Its status above shows what happened."
)


class WaitingPanel(QWidget):
    """``answered(approved)`` once the server took an answer."""

    answered = Signal(bool)

    def __init__(self, run_id: str, client: SkyvernClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runWaiting")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PANEL_STYLE)
        self.run_id = run_id
        self._client = client
        self.waiting: Waiting | None = None
        self.sending = False
        self.requests = 0  # answers sent to the server (a test counts them)

        title = QLabel("<b>Waiting for you</b>")
        title.setObjectName("runWaitingTitle")
        self.instructions = QLabel()
        self.instructions.setObjectName("runWaitingInstructions")
        self.instructions.setTextFormat(Qt.TextFormat.PlainText)  # never rendered as markup
        self.instructions.setWordWrap(True)
        self.instructions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.time_left = QLabel()
        self.time_left.setObjectName("runWaitingTimeLeft")
        self.time_left.setStyleSheet("color: #7d4e00;")
        self.approve = QPushButton("Approve")
        self.approve.setObjectName("runApprove")
        self.approve.setStyleSheet(APPROVE_STYLE)
        self.reject = QPushButton("Reject")
        self.reject.setObjectName("runReject")
        self.message = QLabel()
        self.message.setObjectName("runWaitingMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.time_left, 1)
        buttons.addWidget(self.reject)
        buttons.addWidget(self.approve)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(title)
        layout.addWidget(self.instructions)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.hide()

    def show_waiting(self, waiting: Waiting | None) -> None:
        """The question the run asks now, or ``None`` when it no longer waits."""
        if waiting is None:
            self.waiting = None
            self.message.hide()
            self.hide()
            return
        fresh = self.waiting is None or self.waiting.since != waiting.since
        self.waiting = waiting
        self.instructions.setText(waiting.instructions)
        self.approve.setText(waiting.approve)
        self.approve.setToolTip(f"{waiting.approve}: the run continues from where it paused")
        self.reject.setText(waiting.reject)
        self.reject.setToolTip(f"{waiting.reject}: the run stops and cannot be resumed")
        if fresh and not self.sending:
            self.message.hide()
            self._enable(True)
        self.tick()
        self.show()

    def tick(self, now: datetime | None = None) -> None:
        if self.waiting is not None:
            self.time_left.setText(time_left_text(self.waiting, now or datetime.now(UTC)))

    def _enable(self, on: bool) -> None:
        self.approve.setEnabled(on)
        self.reject.setEnabled(on)

    def _say(self, text: str, *, problem: bool) -> None:
        self.message.setStyleSheet("color: #cf222e;" if problem else "color: #116329;")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    async def _confirm(self, approve: bool) -> bool:
        waiting = self.waiting
        label = (waiting.approve if approve else waiting.reject) if waiting else "Answer"
        text = (
            "The run continues from where it paused."
            if approve
            else "The run stops and cannot be resumed."
        )
        return await ask(
            self, "confirmApprove" if approve else "confirmReject", f"{label}?",
            f"{label}: run {self.run_id}?", label, detail=text, destructive=not approve,
        )  # fmt: skip

    async def answer(self, approve: bool) -> bool:
        """Ask once, then send the answer once. ``True`` when the server took it."""
        if self.sending or self.waiting is None:
            return False
        self.sending = True  # a second press while asking or sending does nothing
        self._enable(False)
        taken = False
        try:
            asked = self.waiting
            if not await self._confirm(approve):
                return False
            if self.waiting != asked:  # the question changed while the box was open
                self._say(
                    "The run now asks something else (or no longer waits): read it again"
                    " before you answer.",
                    problem=True,
                )
                return False
            self._say("Sending…", problem=False)
            taken = await (self._approve() if approve else self._reject())
        finally:
            self.sending = False
            if not taken:
                self._enable(self.waiting is not None)
        if taken:
            self.answered.emit(approve)
        return taken

    def _refused(self, exc: SkyvernError) -> None:
        if isinstance(exc, ApiError):
            self._say(f"The server did not take the answer: {exc}", problem=True)
        else:  # it may have arrived: never sent again on its own
            self._say(
                f"The answer may not have arrived ({exc}). The app did not send it again:"
                " the run's status above shows whether it was taken.",
                problem=True,
            )

    async def _approve(self) -> bool:
        try:
            self.requests += 1
            await self._client.continue_run(self.run_id)
        except NotFoundError:
            self._say(GONE_TEXT, problem=True)
            return False
        except OutcomeUnknownError as exc:
            self._say(
                f"{exc} The app did not send it again: the run's status above shows whether"
                " it goes on.",
                problem=True,
            )
            return False
        except SkyvernError as exc:
            self._refused(exc)
            return False
        self._say("Approved: the run goes on.", problem=False)
        return True

    async def _reject(self) -> bool:
        # Cancel is not conditional on the server: read the run first, so a run someone
        # else approved meanwhile is not stopped by a late Reject.
        try:
            run = await self._client.get_run(self.run_id)
        except SkyvernError as exc:
            self._say(f"The answer was not sent: the run could not be read ({exc}).", problem=True)
            return False
        if not is_paused(run.status):
            self._say(GONE_TEXT, problem=True)
            return False
        try:
            self.requests += 1
            await self._client.cancel_run(self.run_id)
        except NotFoundError:
            self._say(GONE_TEXT, problem=True)
            return False
        except SkyvernError as exc:
            self._refused(exc)
            return False
        self._say("Rejected: the run stops.", problem=False)
        return True
