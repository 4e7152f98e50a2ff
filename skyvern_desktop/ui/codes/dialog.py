"""Send a verification code: a code, or the whole message it came in, stored on the server
for the runs that look for codes under one identifier (an email address, a phone number).

``POST /v1/credentials/totp`` once per press; the list below shows what the server holds
for that identifier (``GET /v1/credentials/totp``). Codes and messages live in this window
and on the server only: never in the app's logs, settings or error text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import ClientClosedError, OutcomeUnknownError, SkyvernError
from ..dialogs import size_to_content
from ..format import exact_time, relative_time
from ..tasks import TaskRunner
from ..widgets.labels import BANNER_STYLE, error_label, stacked
from ..widgets.table_model import ListTableModel

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import TotpCode

SHORT_CODE = 10
"""The server takes content of up to 10 characters as the code itself; longer content is
a message its AI model reads the code from."""
MUTED = "color: palette(placeholder-text);"
SUCCESS_STYLE = (
    "QLabel { background: #dafbe1; color: #116329; border: 1px solid #4ac26b;"
    " border-radius: 4px; padding: 6px; }"
)


class CodesModel(ListTableModel["TotpCode"]):
    headers = ("Received", "Code", "For run", "Source")

    def cell(self, code: TotpCode, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return relative_time(code.created_at)
            if col == 1:
                return code.code or ("(being read)" if code.content else "—")
            if col == 2:
                return code.workflow_run_id or "any run"
            return code.source or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return exact_time(code.created_at)
            if col == 1 and code.content and code.content != code.code:
                return code.content[:500]
        return None


class CodeDialog(QDialog):
    """Non-modal; one per run (or one for codes not tied to a run)."""

    def __init__(
        self,
        client: SkyvernClient,
        tasks: TaskRunner,
        *,
        run_id: str | None = None,
        identifier: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("codeDialog")
        self.setWindowTitle("Send a verification code")
        self._client = client
        self._tasks = tasks
        self.run_id = run_id
        self.submitting = False
        self.sent: TotpCode | None = None
        self._prefix = f"codes.{id(self):x}"

        intro = QLabel(
            "Give a run the code it waits for: a sign-in code from an email, a text message"
            " or an authenticator. Paste the code alone, or the whole message it came in."
        )
        intro.setWordWrap(True)
        self.identifier_error = error_label("codeIdentifierError")
        self.identifier = QLineEdit(identifier)
        self.identifier.setObjectName("codeIdentifier")
        self.identifier.setPlaceholderText("The email address or phone number the code was sent to")
        self.identifier.textChanged.connect(lambda _t: self.identifier_error.hide())
        self.identifier.editingFinished.connect(self.request_list)
        self.content = QPlainTextEdit()
        self.content.setObjectName("codeContent")
        self.content.setPlaceholderText("123456, or the whole message")
        self.content.setTabChangesFocus(True)
        self.content.setFixedHeight(self.content.fontMetrics().lineSpacing() * 4 + 16)
        self.content.textChanged.connect(self._on_content)
        self.content_note = QLabel()
        self.content_note.setObjectName("codeContentNote")
        self.content_note.setWordWrap(True)
        self.content_note.setStyleSheet(MUTED)
        self.content_error = error_label("codeContentError")
        self.run_label = QLabel(run_id or "None: any run that uses this identifier")
        self.run_label.setObjectName("codeRun")
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Sent to:", stacked(self.identifier, self.identifier_error))
        form.addRow("Code:", stacked(self.content, self.content_note, self.content_error))
        form.addRow("For run:", self.run_label)

        self.banner = QLabel()
        self.banner.setObjectName("codeBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()

        self.model = CodesModel(self)
        self.table = QTableView()
        self.table.setObjectName("codeList")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((110, 110, 210)):
            self.table.horizontalHeader().resizeSection(col, width)
        self.list_label = QLabel("Codes the server holds for this address")
        self.list_label.setObjectName("codeListLabel")
        self.list_label.setStyleSheet("font-weight: bold;")
        self.refresh = QPushButton("Refresh")
        self.refresh.setObjectName("codeRefresh")
        self.refresh.clicked.connect(self.request_list)
        list_head = QHBoxLayout()
        list_head.addWidget(self.list_label, 1)
        list_head.addWidget(self.refresh)

        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("codeClose")
        self.close_button.clicked.connect(self.reject)
        self.send_button = QPushButton("Send code")
        self.send_button.setObjectName("codeSend")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.request_send)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.send_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addLayout(list_head)
        layout.addWidget(self.table, 1)
        self._on_content()
        size_to_content(self, 620, 520)
        self.finished.connect(self._stop_tasks)
        if identifier:
            self.request_list()
            self.content.setFocus()

    # ------------------------------------------------------------------ the form

    @property
    def busy(self) -> bool:
        return self.submitting

    def reject(self) -> None:
        if self.submitting:
            self._banner("Sending… the window closes once the server has answered.", ok=False)
            return
        super().reject()

    def _stop_tasks(self) -> None:
        self._tasks.cancel(f"{self._prefix}.list")

    def _on_content(self) -> None:
        text = self.content.toPlainText().strip()
        self.content_error.hide()
        if len(text) > SHORT_CODE:
            self.content_note.setText(
                "A message: the server's AI model reads the code from it (the server needs an"
                " AI model set up for that)."
            )
        else:
            self.content_note.setText("Up to 10 characters are taken as the code itself.")

    def _banner(self, text: str, *, ok: bool) -> None:
        self.banner.setStyleSheet(SUCCESS_STYLE if ok else BANNER_STYLE)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def _checked(self) -> tuple[str, str] | None:
        """The identifier and content, or ``None`` after saying what is missing, beside it."""
        identifier = self.identifier.text().strip()
        content = self.content.toPlainText().strip()
        ok = True
        if not identifier:
            self.identifier_error.setText(
                "Say where the code was sent: the email address or phone number the run uses."
            )
            self.identifier_error.show()
            self.identifier.setFocus()
            ok = False
        if not content:
            self.content_error.setText("Paste the code, or the message it came in.")
            self.content_error.show()
            if ok:
                self.content.setFocus()
            ok = False
        return (identifier, content) if ok else None

    # ------------------------------------------------------------------ sending

    def request_send(self) -> None:
        """The Send button: one request per press, never two."""
        if self.submitting:
            return
        self.submitting = True
        self.send_button.setEnabled(False)
        self._tasks.spawn(f"{self._prefix}.send", self.send())

    async def send(self) -> TotpCode | None:
        self.submitting = True
        self.send_button.setEnabled(False)
        try:
            checked = self._checked()
            if checked is None:
                self._banner("", ok=False)
                return None
            identifier, content = checked
            self._banner("Sending…", ok=True)
            try:
                code = await self._client.send_totp_code(
                    identifier, content, workflow_run_id=self.run_id
                )
            except OutcomeUnknownError as exc:
                self._banner(
                    f"{exc} The app did not send it again: the list below shows whether the"
                    " server has it.",
                    ok=False,
                )
                self.request_list()
                return None
            except ClientClosedError:
                self._banner(
                    "The connection changed while this window was open. Close it and open"
                    " it again.",
                    ok=False,
                )
                return None
            except SkyvernError as exc:
                self._banner(f"The server did not take the code: {exc}", ok=False)
                return None
        finally:
            self.submitting = False
            self.send_button.setEnabled(True)
        self.sent = code
        self.content.clear()  # sent: the next press is for a new code
        got = f"It read the code {code.code}." if code.code else "It reads the code from it."
        self._banner(f"Sent. The server stored it for {identifier}. {got}", ok=True)
        self.request_list()
        return code

    # ------------------------------------------------------------------ the list

    def request_list(self) -> None:
        if self.identifier.text().strip() or self.run_id:
            self._tasks.spawn(f"{self._prefix}.list", self.load_list())

    async def load_list(self) -> list[TotpCode]:
        identifier = self.identifier.text().strip()
        self.list_label.setText(
            f"Codes the server holds for {identifier}" if identifier
            else f"Codes the server holds for run {self.run_id}"
        )  # fmt: skip
        try:
            codes = await self._client.list_totp_codes(
                totp_identifier=identifier or None,
                workflow_run_id=None if identifier else self.run_id,
            )
        except SkyvernError as exc:
            self.list_label.setText(f"The stored codes could not be listed: {exc}")
            return []
        self.model.set_items(codes)
        if not codes:
            self.list_label.setText(
                f"The server holds no codes for {identifier or 'this run'} yet."
            )
        return codes
