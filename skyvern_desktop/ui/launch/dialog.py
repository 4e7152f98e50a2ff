"""The run launcher: the workflow's inputs as a form, the run options, and one run per press."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import ClientClosedError, OutcomeUnknownError, SkyvernError, ValidationError
from ...core.connection.urls import web_ui_link
from ...core.forms.params import specs_for
from ...core.forms.snippets import as_curl, as_python
from ..dialogs import size_to_content
from ..tasks import TaskRunner
from ..widgets.inputs_form import InputsForm
from ..widgets.labels import BANNER_STYLE
from ..widgets.run_options import RunOptions, webhook_test_verdict

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, Workflow, WorkflowRunRequest

SUCCESS_STYLE = (
    "QLabel { background: #dafbe1; color: #116329; border: 1px solid #4ac26b;"
    " border-radius: 4px; padding: 6px; }"
)


class LaunchDialog(QDialog):
    """``run_started(RunResponse)`` fires once per run the server accepted."""

    run_started = Signal(object)

    def __init__(
        self,
        workflow: Workflow,
        client: SkyvernClient,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        *,
        start: Callable[[WorkflowRunRequest], Awaitable[RunResponse]] | None = None,
    ) -> None:
        super().__init__(parent)
        # Who sends the run: the launch owner (it announces the run), or, for a launcher
        # used alone, the client itself.
        self._start = start if start is not None else client.run_workflow
        self.setObjectName("launchDialog")
        self.setWindowTitle(f"Run “{workflow.title}”")
        self.workflow = workflow
        self._client = client
        self._tasks = tasks
        self.specs = specs_for(workflow.workflow_definition.parameters)
        self.submitting = False
        self.last_run: RunResponse | None = None
        self._prefix = f"launch.{id(self):x}"  # task names of this launcher only

        header = QLabel(
            f"<h2 style='margin:0'>{escape(workflow.title)}</h2>"
            f"<span style='color:gray'>{workflow.workflow_permanent_id}</span>"
            + (f"<p>{escape(workflow.description)}</p>" if workflow.description else "")
        )
        header.setObjectName("launchHeader")
        header.setWordWrap(True)
        header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        body = QWidget()
        form = QVBoxLayout(body)
        self.inputs = InputsForm(self.specs, client, self._spawn, object_prefix="launch")
        self.editors = self.inputs.editors
        form.addWidget(self.inputs)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        form.addWidget(line)
        self.options = RunOptions(server_url=client.base_url)
        self.options.webhook_test_requested.connect(
            lambda url: self._spawn("webhook", self.test_webhook(url))
        )
        form.addWidget(self.options)
        form.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("launchScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.banner = QLabel()
        self.banner.setObjectName("launchBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.notice = QLabel()
        self.notice.setObjectName("launchNotice")
        self.notice.setWordWrap(True)
        self.notice.setOpenExternalLinks(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.notice.setStyleSheet(SUCCESS_STYLE)
        self.notice.hide()

        # Snippets are for people who code: kept out of the operator's way, in a menu.
        self.developer_menu = QMenu("For developers", self)
        self.developer_menu.setObjectName("launchDeveloperMenu")
        self.copy_curl = self.developer_menu.addAction("Copy as cURL")
        self.copy_curl.setObjectName("launchCopyCurl")
        self.copy_curl.setToolTip(
            "The same run as a curl command, with the key as $SKYVERN_API_KEY"
        )
        self.copy_curl.triggered.connect(lambda: self._copy(as_curl))
        self.copy_python = self.developer_menu.addAction("Copy as Python")
        self.copy_python.setObjectName("launchCopyPython")
        self.copy_python.triggered.connect(lambda: self._copy(as_python))
        self.developer_button = QPushButton("For developers")
        self.developer_button.setObjectName("launchDeveloper")
        self.developer_button.setToolTip(
            "Copy this run as code, as Skyvern's Run from Code page does"
        )
        self.developer_button.setMenu(self.developer_menu)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setObjectName("launchClose")
        self.cancel_button.clicked.connect(self.reject)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("launchRun")
        self.run_button.setAccessibleName("Start the run")
        self.run_button.setToolTip("Start the run (Ctrl+Enter)")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.request_submit)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(self.request_submit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.developer_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.run_button)

        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addLayout(buttons)

        size_to_content(self, 760, 760)
        self._spawn("lists", self.load_lists())
        self.finished.connect(self._stop_tasks)

    # ------------------------------------------------------------------ helpers

    def _spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> object:
        return self._tasks.spawn(f"{self._prefix}.{name}", coro)

    @property
    def task_prefix(self) -> str:
        """The names of this launcher's own tasks start with this."""
        return self._prefix

    @property
    def busy(self) -> bool:
        """A run request is on its way; the launcher stays open until it is answered."""
        return self.submitting

    def _stop_tasks(self) -> None:
        """The launcher closed: its list loading and uploads stop (a submit cannot be
        running: the launcher does not close while one is)."""
        self.inputs.detach()  # no checks on focus changes while the widgets are torn down
        self._tasks.cancel(f"{self._prefix}.lists")
        self._tasks.cancel(f"{self._prefix}.webhook")
        for name in self.inputs.upload_keys():
            self._tasks.cancel(f"{self._prefix}.{name}")

    def reject(self) -> None:
        if self.submitting:
            self._show_banner("Starting the run… the launcher closes once the server has answered.")
            return
        super().reject()

    async def load_lists(self) -> None:
        """Fill the credential, browser session and profile pickers (best effort)."""

        async def sessions() -> None:
            items = await self._client.list_browser_sessions()
            self.options.set_sessions(
                [
                    (f"{s.browser_session_id} ({s.status or 'active'})", s.browser_session_id)
                    for s in items
                ]
            )

        async def profiles() -> None:
            items = await self._client.list_browser_profiles(page_size=500)
            self.options.set_profiles([(p.name, p.browser_profile_id) for p in items])

        results = await asyncio.gather(
            self.inputs.load_credentials(),
            sessions(),
            profiles(),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, SkyvernError):
                continue  # a list that cannot load leaves its picker with free text / none
            if isinstance(result, BaseException):
                raise result

    async def test_webhook(self, url: str) -> None:
        """Have the server send a sample result to ``url`` and say how that went."""
        text, good = "The test did not finish.", False
        try:
            text, good = await webhook_test_verdict(self._client, url)
        finally:
            self.options.show_webhook_test(url, text, good=good)

    def texts(self) -> dict[str, str]:
        return self.inputs.texts()

    def prefill(self, run_request: dict[str, Any]) -> None:
        """Fill the form from an earlier run's ``run_request`` (Rerun)."""
        self.inputs.set_values(run_request.get("parameters") or {})
        self.options.prefill(run_request)

    def build_body(self) -> dict[str, Any] | None:
        """The request body, or ``None`` after showing every problem beside its field."""
        values = self.inputs.values()
        options, options_ok = self.options.collect()
        if values is None or not options_ok:
            return None
        body: dict[str, Any] = {"workflow_id": self.workflow.workflow_permanent_id}
        if values:
            body["parameters"] = values
        body.update(options)
        return body

    def _copy(self, render: Any) -> None:
        body = self.build_body()
        if body is None:
            self._show_banner("Fix the marked inputs first; the snippet uses the same values.")
            return
        QGuiApplication.clipboard().setText(render(self._client.base_url, body))
        self._show_banner("")
        self.notice.setText("Copied. The key is written as $SKYVERN_API_KEY, never the real one.")
        self.notice.show()

    def show_notice(self, text: str) -> None:
        """A note above the buttons (not a problem: those go to the banner)."""
        self.notice.setText(text)
        self.notice.show()

    def _show_banner(self, text: str) -> None:
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    # ------------------------------------------------------------------ submitting

    def request_submit(self) -> None:
        """The Run button, Enter and Ctrl+Enter: one run per press, never two."""
        if self.submitting:
            return
        self.submitting = True  # set before the task starts, so a second press is a no-op
        self.run_button.setEnabled(False)
        self._spawn("submit", self.submit())

    async def submit(self) -> RunResponse | None:
        from ...api.models import WorkflowRunRequest

        self.submitting = True
        self.run_button.setEnabled(False)
        self.notice.hide()
        try:
            if busy := self.inputs.busy_field():
                self._show_banner(f"Wait for the upload of {busy.label} to finish.")
                return None
            body = self.build_body()
            if body is None:
                self._show_banner("Some inputs need fixing; they are marked above.")
                return None
            self._show_banner("")
            self.run_button.setText("Starting…")
            request = WorkflowRunRequest.model_validate(body)
            try:
                run = await self._start(request)
            except ValidationError as exc:
                self._show_server_refusal(exc, body.get("parameters") or {})
                return None
            except OutcomeUnknownError as exc:
                self._show_banner(
                    f"{exc} The app did not try again, so it cannot start the run twice: "
                    "check the workflow's runs before you press Run again."
                )
                return None
            except ClientClosedError as exc:  # the connection was switched
                self._show_banner(
                    f"The connection changed while the launcher was open ({exc}). "
                    "Close it and open it again."
                )
                return None
            except SkyvernError as exc:
                self._show_banner(f"The run was not started: {exc}")
                return None
        finally:
            self.submitting = False
            self.run_button.setEnabled(True)
            self.run_button.setText("Run")
        self.last_run = run
        url = web_ui_link(run.app_url)
        link = f" <a href='{url}'>Open in Skyvern</a>" if url else ""
        self.notice.setText(f"Run <b>{run.run_id}</b> started — status: <b>{run.status}</b>.{link}")
        self.notice.show()
        self.run_button.setText("Run again")
        self.run_started.emit(run)
        return run

    def _show_server_refusal(self, exc: ValidationError, sent: dict[str, Any]) -> None:
        message = exc.server_message or str(exc)
        self.inputs.show_refusal(exc, sent)
        self._show_banner(f"The server refused the run: {message}")
