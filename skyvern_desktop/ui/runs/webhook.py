"""A run pane's Webhook tab: where the run's result was sent, and sending it again.

"Send the webhook again" asks the server to post the run's result once more, to the
run's own address or to another one typed here (``POST /v1/runs/{id}/retry_webhook``).
The server's account of that delivery is shown in full: where it went, the receiver's
status code, latency and answer, any error, the payload as a tree and the signed headers.
This is how an operator checks a receiver without writing code.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import OutcomeUnknownError, SkyvernError
from ...core.runs.webhooks import Level, check_webhook
from ..dialogs import ask
from ..widgets.json_tree import JsonTree
from ..widgets.labels import error_label, stacked

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, WebhookReplay

MUTED = "color: palette(placeholder-text);"
_LEVEL_STYLE = {Level.ERROR: "color: #cf222e;", Level.WARNING: "color: #9a6700;", Level.NOTE: MUTED}


def payload_value(text: str) -> Any:
    """The payload as JSON for the tree, or the text itself when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class WebhookTab(QWidget):
    """``replayed(WebhookReplay)`` after the server sent the webhook again."""

    replayed = Signal(object)

    def __init__(self, run_id: str, client: SkyvernClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runWebhook")
        self.run_id = run_id
        self._client = client
        self.run: RunResponse | None = None
        self.sending = False
        self.last: WebhookReplay | None = None
        self._target_ok = True

        self.address = QLabel("—")
        self.address.setObjectName("runWebhookUrl")
        self.address.setTextFormat(Qt.TextFormat.PlainText)
        self.address.setWordWrap(True)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target = QLineEdit()
        self.target.setObjectName("runWebhookTarget")
        self.target.setClearButtonEnabled(True)
        self.target.textChanged.connect(lambda _t: self._check_target())
        self.target_note = error_label("runWebhookTargetNote")
        self.send = QPushButton("Send the webhook again…")
        self.send.setObjectName("runReplayWebhook")
        self.note = QLabel()
        self.note.setObjectName("runWebhookNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(MUTED)

        form = QFormLayout()
        form.addRow("Webhook:", self.address)
        form.addRow("Send to:", stacked(self.target, self.target_note))
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.send)

        # The answer of the last delivery.
        self.result = QLabel()
        self.result.setObjectName("runWebhookResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()
        self.response = QPlainTextEdit()
        self.response.setObjectName("runWebhookResponse")
        self.response.setReadOnly(True)
        self.response.setPlaceholderText("The receiver sent no body.")
        self.payload = JsonTree("runWebhookPayload")
        self.headers = QTreeWidget()
        self.headers.setObjectName("runWebhookHeaders")
        self.headers.setHeaderLabels(["Header", "Value"])
        self.headers.setRootIsDecorated(False)
        self.headers.setColumnWidth(0, 220)
        self.details = QTabWidget()
        self.details.setObjectName("runWebhookDetails")
        self.details.addTab(self.payload, "Payload sent")
        self.details.addTab(self.headers, "Signed headers")
        self.details.addTab(self.response, "Receiver's answer")
        self.details.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.result)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.details)
        layout.addWidget(split, 1)
        self.show_run(None)

    # ------------------------------------------------------------------ state

    def show_run(self, run: RunResponse | None) -> None:
        self.run = run
        url = run.webhook_url if run is not None else None
        self.address.setText(url or "This run was started without a webhook.")
        self.address.setStyleSheet("" if url else MUTED)
        self.target.setPlaceholderText(
            "Leave empty to use the run's own webhook" if url else "https://… where to send it"
        )
        ended = run is not None and run.is_terminal
        if not ended:
            self.note.setText(
                "Skyvern sends the webhook when the run ends; it can be sent again from here then."
            )
        elif url:
            self.note.setText("Send the run's result once more, here or to another address.")
        else:
            self.note.setText("Type an address above to send the run's result there.")
        self._update_button()

    def _target(self) -> str:
        return self.target.text().strip()

    def _check_target(self) -> bool:
        """Say at the field how the server will treat the address typed; ``False`` when it
        cannot be sent to."""
        text = self._target()
        verdict = check_webhook(text, server_url=self._client.base_url)
        self.target_note.setText(verdict.text)
        if verdict.level is not None:
            self.target_note.setStyleSheet(_LEVEL_STYLE[verdict.level])
        self.target_note.setVisible(bool(verdict.text))
        self._target_ok = verdict.ok
        self._update_button()
        return verdict.ok

    def _update_button(self) -> None:
        run = self.run
        ended = run is not None and run.is_terminal
        has_target = bool(self._target() or (run is not None and run.webhook_url))
        self.send.setEnabled(ended and has_target and self._target_ok and not self.sending)

    # ------------------------------------------------------------------ sending

    async def replay(self) -> WebhookReplay | None:
        """Confirm, then ask the server once to send the webhook again; show its answer."""
        if self.sending or self.run is None:
            return None
        if not self._check_target():
            self.target.setFocus()
            return None
        other = self._target() or None
        where = other or self.run.webhook_url or ""
        self.sending = True  # a second press while asking or sending does nothing
        self._update_button()
        try:
            if not await ask(
                self, "confirmReplayWebhook", "Send the webhook again",
                f"Send the result of run {self.run_id} to {where} again?", "Send",
                detail="The receiver gets it once more, as if the run had just ended.",
            ):  # fmt: skip
                return None
            self.result.setText("Sending…")
            self.result.setStyleSheet("")
            self.result.show()
            try:
                replay = await self._client.retry_webhook(self.run_id, webhook_url=other)
            except OutcomeUnknownError as exc:
                self.result.setStyleSheet("color: #9a6700;")
                self.result.setText(
                    f"{exc} The webhook may have been sent (a slow receiver keeps the server"
                    " waiting); the app did not ask again."
                )
                return None
            except SkyvernError as exc:
                self.result.setStyleSheet("color: #cf222e;")
                self.result.setText(f"The server did not send the webhook: {exc}")
                return None
        finally:
            self.sending = False
            self._update_button()
        self.show_replay(replay)
        self.replayed.emit(replay)
        return replay

    def show_replay(self, replay: WebhookReplay) -> None:
        """The server's account of one delivery."""
        self.last = replay
        target = escape(replay.target_webhook_url or replay.default_webhook_url or "—")
        parts = [f"Sent to <b>{target}</b>."]
        if replay.status_code is not None:
            good = 200 <= replay.status_code < 300
            color = "#116329" if good else "#cf222e"
            took = f" in {replay.latency_ms} ms" if replay.latency_ms is not None else ""
            parts.append(
                f"The receiver answered <b style='color:{color}'>{replay.status_code}</b>{took}."
            )
        if replay.error:
            parts.append(f"<span style='color:#cf222e'>{escape(replay.error)}</span>")
        self.result.setStyleSheet("")
        self.result.setText(" ".join(parts))
        self.result.show()
        self.payload.set_value(payload_value(replay.payload))
        self.headers.clear()
        for name, value in sorted(replay.headers.items()):
            self.headers.addTopLevelItem(QTreeWidgetItem([name, value]))
        self.response.setPlainText(replay.response_body or "")
        self.details.show()
