"""One run, watched live until it ends: status, times, why it failed, its inputs, its
steps (every action the AI took), output, screenshots, recording, downloaded files, and
the actions cancel, retry and rerun."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import SkyvernError
from ...core.connection.urls import web_ui_link
from ...core.runs.attention import Waiting, is_paused
from ...core.runs.details import RunDetails
from ...core.runs.failure import Explanation, explain
from ...core.runs.watcher import WatchState, recording_is_final
from ..dialogs import ask, ask_save_path
from ..format import duration_text, exact_time
from ..tasks import TaskRunner
from ..widgets.json_tree import JsonTree, is_records, records_of, records_to_csv
from ..widgets.status_badge import StatusBadge
from .following import RunFollower
from .inputs import InputsTab
from .overview import RunOverview
from .player import RecordingPlayer
from .shots import ScreenshotsTab
from .steps import ShotViewer, StepsView
from .tracker import RunTracker
from .waiting import WaitingPanel
from .webhook import WebhookTab

if TYPE_CHECKING:
    from ...api.models import RunResponse
    from ...core.runs.steps import Step


def local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


@dataclass(frozen=True)
class PaneWaiting:
    """What a pane tells about its run's pause: it waits (and asks ``waiting``), or not."""

    run_id: str
    paused: bool
    waiting: Waiting | None
    title: str | None  # the workflow's title, when the pane knows it


class RunPane(QWidget):
    """Shows one run as its tracker (owned by the runs owner) reports it; the pane watches
    nothing itself. It reads what only it shows (timeline, screenshots, the live picture,
    results) while it is on screen."""

    retry_started = Signal(object)  # the new RunResponse
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    live_changed = Signal(bool)  # the live picture started or stopped
    waiting_changed = Signal(object)  # PaneWaiting: the run waits for a person, or not
    code_requested = Signal(str, str)  # run_id, totp_identifier ("" when the run has none)
    compare_requested = Signal(str)  # run_id: compare with the last completed run

    def __init__(
        self,
        tracker: RunTracker,
        tasks: TaskRunner,
        *,
        read_local_files: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        run_id, client, title = tracker.run_id, tracker.client, tracker.title
        self.setObjectName(f"runPane_{run_id}")
        self.run_id = run_id
        self.tracker = tracker
        self._client = client
        self._tasks = tasks
        self._read_local = read_local_files
        self.run: RunResponse | None = None
        self._output_stamp: object = None
        self.title_text = title or run_id

        self.title = QLabel(f"<b>{title or 'Run'}</b> · {run_id}")
        self.title.setObjectName("runTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.badge = StatusBadge("runStatus")
        self.connection = QLabel()
        self.connection.setObjectName("runConnection")
        self.connection.setStyleSheet("color: #9a6700;")
        self.open_in_skyvern = QLabel()
        self.open_in_skyvern.setObjectName("runAppUrl")
        self.open_in_skyvern.setOpenExternalLinks(True)
        self.cancel_button = QPushButton("Cancel run…")
        self.cancel_button.setObjectName("runCancel")
        self.cancel_button.clicked.connect(
            lambda: self._tasks.spawn(f"pane.cancel.{run_id}", self.cancel(), replace=False)
        )
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("runRetry")
        self.retry_button.setToolTip("Start a new run with the same inputs")
        self.retry_button.clicked.connect(
            lambda: self._tasks.spawn(f"pane.retry.{run_id}", self.retry(), replace=False)
        )
        self.rerun_button = QPushButton("Rerun with edits…")
        self.rerun_button.setObjectName("runRerun")
        self.rerun_button.clicked.connect(self._rerun)
        self.code_button = QPushButton("Send a verification code…")
        self.code_button.setObjectName("runSendCode")
        self.code_button.setToolTip(
            "Give this run a 2FA code (or the message it came in) that it waits for"
        )
        self.code_button.clicked.connect(
            lambda: self.code_requested.emit(
                run_id, (self.run.totp_identifier if self.run else None) or ""
            )
        )
        self.compare_button = QPushButton("Compare with the last completed run")
        self.compare_button.setObjectName("runCompare")
        self.compare_button.setToolTip(
            "See side by side where this run went another way than the last run that worked"
        )
        self.compare_button.clicked.connect(lambda: self.compare_requested.emit(run_id))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.connection)
        top.addWidget(self.badge)
        actions = QHBoxLayout()
        actions.addWidget(self.open_in_skyvern, 1)
        actions.addWidget(self.compare_button)
        actions.addWidget(self.code_button)
        actions.addWidget(self.rerun_button)
        actions.addWidget(self.retry_button)
        actions.addWidget(self.cancel_button)

        self.times = QGridLayout()
        self.time_labels: dict[str, QLabel] = {}
        for col, name in enumerate(("Created", "Queued", "Started", "Finished", "Took")):
            head = QLabel(f"<span style='color:gray'>{name}</span>")
            value = QLabel("—")
            value.setObjectName(f"runTime{name}")
            self.times.addWidget(head, 0, col)
            self.times.addWidget(value, 1, col)
            self.time_labels[name] = value

        self.output = JsonTree("runOutput")
        self.export_json = QPushButton("Export JSON…")
        self.export_json.setObjectName("runExportJson")
        self.export_json.clicked.connect(lambda: self._save_text("output.json", self.output_json()))
        self.export_csv = QPushButton("Export CSV…")
        self.export_csv.setObjectName("runExportCsv")
        self.export_csv.clicked.connect(self._export_csv)
        self.no_output = QLabel("No output yet: it appears here as the run produces it.")
        self.no_output.setObjectName("runNoOutput")
        self.no_output.setStyleSheet("color: palette(placeholder-text);")
        output_tab = QWidget()
        out_layout = QVBoxLayout(output_tab)
        out_layout.addWidget(self.no_output)
        out_layout.addWidget(self.output, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.export_csv)
        row.addWidget(self.export_json)
        out_layout.addLayout(row)

        self.overview = RunOverview()
        self.question = WaitingPanel(run_id, client)
        self.overview.add_question(self.question)
        for button, approve in ((self.question.approve, True), (self.question.reject, False)):
            button.clicked.connect(
                lambda _=False, yes=approve: self._tasks.spawn(
                    f"pane.answer.{run_id}", self.question.answer(yes), replace=False
                )
            )
        self.webhook = WebhookTab(run_id, client)
        self.webhook.send.clicked.connect(
            lambda: self._tasks.spawn(
                f"pane.webhook.{run_id}", self.webhook.replay(), replace=False
            )
        )
        self.inputs = InputsTab()
        self.inputs.rerun_requested.connect(self._rerun)
        self.details: RunDetails | None = None
        self.why: Explanation | None = None
        self.steps = StepsView(
            self._artifact, lambda name, coro: self._tasks.spawn(name, coro), run_id
        )
        self.steps.changed.connect(self._explain)
        self.steps.enlarge_requested.connect(self.enlarge_step)
        self.steps.prompt_of = self._prompt_of
        self.viewer: ShotViewer | None = None
        self.shots = ScreenshotsTab(
            self._fetch, lambda name, coro: self._tasks.spawn(f"{name}.{run_id}", coro)
        )
        self.player = RecordingPlayer(
            self.playable,
            lambda: self._save_url(self.run.recording_url if self.run else None, "recording"),
        )
        self.recording = self.player.note
        self.save_recording = self.player.save
        self.files_model = QStandardItemModel(0, 2, self)
        self.files_model.setHorizontalHeaderLabels(["File", "Size"])
        self.files = QTreeView()
        self.files.setObjectName("runFiles")
        self.files.setRootIsDecorated(False)
        self.files.setModel(self.files_model)
        self.save_file = QPushButton("Save file…")
        self.save_file.setObjectName("runSaveFile")
        self.save_file.clicked.connect(self._save_selected_file)
        files_tab = QWidget()
        files_layout = QVBoxLayout(files_tab)
        self.no_files = QLabel("Files the run downloads are listed here.")
        self.no_files.setObjectName("runNoFiles")
        self.no_files.setStyleSheet("color: palette(placeholder-text);")
        files_layout.addWidget(self.no_files)
        files_layout.addWidget(self.files, 1)
        files_layout.addWidget(self.save_file, 0, Qt.AlignmentFlag.AlignRight)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("runTabs")
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.inputs, "Inputs")
        self.tabs.addTab(self.steps, "Steps")
        self.tabs.addTab(output_tab, "Output")
        self.tabs.addTab(self.shots, "Screenshots")
        self.tabs.addTab(self.player, "Recording")
        self.tabs.addTab(files_tab, "Files")
        self.tabs.addTab(self.webhook, "Webhook")
        self.tabs.currentChanged.connect(lambda _i: self._on_visibility())
        self.follower = RunFollower(
            run_id, client, tasks, overview=self.overview, steps=self.steps,
            shots=self.shots, parent=self,
        )  # fmt: skip
        self.follower.live_changed.connect(self.live_changed)
        self.follower.waiting_changed.connect(self._on_waiting)
        self.follower.tick.connect(self.question.tick)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.times)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)
        self._update_actions()
        self._bind(tracker)

    # ------------------------------------------------------------------ watching

    def _bind(self, tracker: RunTracker) -> None:
        """Show what the tracker knows now, and from now on what it reports."""
        tracker.updated.connect(self.show_run)
        tracker.state_changed.connect(self._on_state)
        tracker.title_known.connect(self.set_title)
        tracker.details_known.connect(self.show_details)
        tracker.finished.connect(
            lambda _run: self._tasks.spawn(f"pane.results.{self.run_id}", self.load_results())
        )
        if tracker.run is not None:
            self.show_run(tracker.run)
        if tracker.final is not None:
            self._tasks.spawn(f"pane.results.{self.run_id}", self.load_results())
        if tracker.details is not None:
            self.show_details(tracker.details)

    def stop(self) -> None:
        """Closed (or the connection changed): no more requests of its own, the live
        view's socket closed, the player stopped. (Its owner stops the tracker.)"""
        for what in ("results", "answer", "webhook", "screenshot", "thumbs"):
            self._tasks.cancel(f"pane.{what}.{self.run_id}")
        for what in ("detail", "viewer", "prompt"):  # the Steps tab's own (StepsView.spawn)
            self._tasks.cancel(f"{self.steps.task_prefix}.{what}")
        self.follower.stop()
        self.player.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._on_visibility()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._on_visibility()

    def _on_visibility(self) -> None:
        """Only a pane on screen reads its timeline and screenshots, and only its Overview
        decodes frames."""
        shown = self.isVisible()
        self.follower.set_shown(shown, picture=self.tabs.currentWidget() is self.overview)
        if shown:
            self.tracker.want_details()
        if shown and self.tabs.currentWidget() is self.player:
            self._offer_recording()

    def _on_state(self, state: WatchState, message: str) -> None:
        if state is WatchState.RECONNECTING:
            self.connection.setText("reconnecting…")
            self.connection.setToolTip(message)
        elif state is WatchState.GONE:
            self.connection.setText(message)
        else:
            self.connection.setText("")

    def _on_waiting(self, waiting: object) -> None:
        question = waiting if isinstance(waiting, Waiting) else None
        self.question.show_waiting(question)
        paused = self.run is not None and is_paused(self.run.status)
        title = self.title_text if self.title_text != self.run_id else None
        self.waiting_changed.emit(PaneWaiting(self.run_id, paused, question, title))

    @property
    def waiting(self) -> bool:
        """The run waits for a person, and the pane knows what it asks."""
        return self.follower.waiting is not None

    def set_title(self, title: str) -> None:
        self.title_text = title
        self.title.setText(f"<b>{title}</b> · {self.run_id}")

    def show_run(self, run: RunResponse) -> None:
        self.run = run
        ended = run.is_terminal
        self.badge.set_status(str(run.status))
        for name, when in (
            ("Created", run.created_at), ("Queued", run.queued_at),
            ("Started", run.started_at), ("Finished", run.finished_at),
        ):  # fmt: skip
            label = self.time_labels[name]
            label.setText(when.astimezone().strftime("%H:%M:%S") if when else "—")
            label.setToolTip(exact_time(when))
        took = duration_text(run.started_at or run.created_at, run.finished_at)
        self.time_labels["Took"].setText(took or "—")
        self._explain()
        stamp = (run.status, run.modified_at)
        if stamp != self._output_stamp:  # the tree is rebuilt only when the run changed
            self._output_stamp = stamp
            self.output.set_value(run.output)
        self.export_csv.setEnabled(is_records(records_of(run.output)))
        self.export_json.setEnabled(run.output is not None)
        if run.output is None:
            self.no_output.setText(
                "This run produced no output."
                if run.is_terminal
                else "No output yet: it appears here as the run produces it."
            )
        self.no_output.setVisible(run.output is None)
        self.output.setVisible(run.output is not None)
        if link := web_ui_link(run.app_url):
            self.open_in_skyvern.setText(f"<a href='{link}'>Open in Skyvern</a>")
        self.follower.update(run)
        self.webhook.show_run(run)
        if self.tabs.currentWidget() is self.player and self.isVisible():
            self._offer_recording()
        else:
            self.player.describe(run.recording_url, final=recording_is_final(run), ended=ended)
        self.files_model.removeRows(0, self.files_model.rowCount())
        for info in run.downloaded_files or []:
            name = info.filename or Path(urlparse(info.url).path).name or info.url
            size = f"{info.file_size / 1024:.0f} KB" if info.file_size else ""
            item = QStandardItem(name)
            item.setData(info.url, Qt.ItemDataRole.UserRole)
            self.files_model.appendRow([item, QStandardItem(size)])
        self.no_files.setText(
            "Files the run downloads are listed here."
            if not ended
            else ("Downloaded files:" if run.downloaded_files else "The run downloaded no files.")
        )
        self._update_actions()

    def _update_actions(self) -> None:
        ended = self.run is not None and self.run.is_terminal
        self.cancel_button.setVisible(self.run is not None and not ended)
        self.code_button.setVisible(self.run is not None and not ended)  # a run may use one
        self.retry_button.setEnabled(ended)
        self.compare_button.setVisible(
            ended and self.run is not None and self.run.workflow_permanent_id is not None
            and str(self.run.status) != "completed"
        )  # fmt: skip
        self.rerun_button.setEnabled(
            self.run is not None and self.run.workflow_permanent_id is not None
        )

    # ------------------------------------------------------------------ what it did

    def show_details(self, details: RunDetails) -> None:
        """The run's inputs and failure categories, as its tracker read them."""
        self.details = details
        self.inputs.show_details(details)
        self._explain()

    def _explain(self) -> None:
        run = self.run
        if run is None:
            return
        self.why = explain(
            str(run.status), run.failure_reason,
            self.details.categories if self.details is not None else [], self.steps.blocks,
            steps_used=run.step_count or None,
        )  # fmt: skip
        self.overview.explain(self.why)

    def enlarge_step(self, index: int) -> None:
        """The step's screenshot, large; ← and → step through the actions."""
        if self.viewer is not None:
            self.viewer.show_index(index)
            self.viewer.raise_()
            return
        self.viewer = ShotViewer(self.steps, index, self)
        self.viewer.destroyed.connect(lambda _o=None: setattr(self, "viewer", None))
        self.viewer.open()

    async def _artifact(self, artifact_id: str) -> bytes:
        return await self._client.artifact_content(artifact_id)

    async def _prompt_of(self, step: Step) -> str:
        """The model's prompt and answer for the step the action belongs to."""
        step_id = step.action.step_id
        if not step_id:
            return "This action has no model step on record."
        artifacts = await self._client.list_artifacts(
            self.run_id, artifact_types=["llm_prompt", "llm_response"]
        )
        parts = []
        for artifact in sorted(artifacts, key=lambda a: a.created_at):
            if artifact.step_id != step_id:
                continue
            data = await self._client.artifact_content(artifact.artifact_id)
            title = "PROMPT" if str(artifact.artifact_type) == "llm_prompt" else "ANSWER"
            parts.append(f"===== {title} ({artifact.artifact_id}) =====\n")
            parts.append(data.decode("utf-8", "replace"))
        return "\n".join(parts) or "The server kept no prompt for this step."

    # ------------------------------------------------------------------ results

    async def load_results(self) -> None:
        """The timeline and screenshots once more, now that the run has ended (the final
        reading itself went through :meth:`show_run`, like every other)."""
        await self.follower.refresh(final=True)

    def _offer_recording(self) -> None:
        """The Recording tab is shown: load the final recording into the player."""
        run = self.run
        if run is not None:
            final = recording_is_final(run)
            self.player.offer(run.recording_url, final=final, ended=run.is_terminal)

    async def _fetch(self, url: str) -> bytes:
        path = local_path(url)
        if path is not None:
            if not self._read_local:
                raise SkyvernError("This file is on the server's computer and cannot be read here.")
            return await asyncio.to_thread(path.read_bytes)
        return await self._client.download(url)  # presigned: sent without the API key

    def playable(self, url: str) -> str | None:
        """Where the player can read ``url``: the file itself for a local server's
        ``file://``, the presigned address for http(s); ``None`` when not readable here."""
        if local_path(url) is not None:
            return url if self._read_local else None
        return url if url.startswith(("http://", "https://")) else None

    async def load_screenshots(self, urls: list[str]) -> None:
        await self.shots.load(urls, final=True)

    @property
    def screenshot_count(self) -> int:
        return self.shots.count

    # ------------------------------------------------------------------ actions

    async def cancel(self) -> bool:
        if not await ask(
            self, "confirmCancelRun", "Cancel run",
            f"Cancel run {self.run_id}? It stops where it is; this cannot be undone.",
            "Cancel run", no=QMessageBox.StandardButton.No, destructive=True,
        ):  # fmt: skip
            return False
        self.cancel_button.setEnabled(False)
        try:
            await self._client.cancel_run(self.run_id)
        finally:
            self.cancel_button.setEnabled(True)
        return True

    async def retry(self) -> RunResponse:
        run = await self._client.retry_run(self.run_id)
        self.retry_started.emit(run)
        return run

    def _rerun(self) -> None:
        if self.run is not None and self.run.workflow_permanent_id:
            self.rerun_requested.emit(self.run.workflow_permanent_id, self.run_id)

    def output_json(self) -> str:
        return json.dumps(self.run.output if self.run else None, indent=2, ensure_ascii=False)

    def _export_csv(self) -> None:
        text = records_to_csv(records_of(self.run.output if self.run else None))
        if text is not None:
            self._save_text("output.csv", text)

    def _save_text(self, name: str, text: str) -> None:
        ask_save_path(self, "Export", name, lambda target: Path(target).write_text(text, "utf-8"))

    def _save_selected_file(self) -> None:
        rows = self.files.selectionModel().selectedRows()
        if rows:
            self._save_url(str(rows[0].data(Qt.ItemDataRole.UserRole)), rows[0].data())

    def _save_url(self, url: str | None, name: str) -> None:
        if not url:
            return
        ask_save_path(
            self, "Save", Path(urlparse(url).path).name or name,
            lambda target: self._tasks.spawn(
                f"pane.save.{self.run_id}", self._download_to(url, Path(target))
            ),
        )  # fmt: skip

    async def _download_to(self, url: str, target: Path) -> None:
        data = await self._fetch(url)
        await asyncio.to_thread(target.write_bytes, data)
