"""The batch flow's one owner: sets up a new batch, starts it, keeps each batch's runner
going, reopens after a restart (paused), exports, and says when a batch ends.

A batch belongs to the server it ran on; switching connections closes its runners (rows
on their way become "may have started") and shows the batches of the new server.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from ..dialogs import ask_save_path
from ..screen import ScreenOwner

# The batch code (and the API models it needs) loads when a batch is first used, not while
# the window is being shown (tests/test_layers.py).
if TYPE_CHECKING:
    from ...api.models import Workflow
    from ...core.batch.runner import BatchRunner
    from ...core.batch.store import BatchInfo, BatchStore
    from ..context import AppContext
    from .page import BatchesPage
    from .setup import BatchDraft, BatchSetup
    from .view import BatchView

log = logging.getLogger(__name__)


class BatchController(QObject, ScreenOwner["BatchesPage"]):
    """Intents out: ``run_open_requested(run_id)``, ``page_wanted()``; ``notify(title,
    text)`` when a batch ends; ``message(text)`` for the status bar."""

    run_open_requested = Signal(str)
    page_wanted = Signal()
    notify = Signal(str, str)
    message = Signal(str)

    def __init__(self, ctx: AppContext, store_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._notices = ctx.notices
        self._session = session = ctx.session
        self._tasks = ctx.tasks
        self._reporter = ctx.reporter
        self._store_path = store_path
        # A headless start (--screenshot, --self-test) stands beside a running app: it
        # never takes over that app's batches.
        self._headless = ctx.headless
        self._store: BatchStore | None = None
        self.runners: dict[str, BatchRunner] = {}
        self.views: dict[str, BatchView] = {}
        self.setups: list[BatchSetup] = []
        self._workflows: dict[str, Workflow] = {}
        self._reopened: set[str] = set()  # batches found running at start (crash or quit)
        session.client_changed.connect(self._on_client_changed)
        session.checked.connect(self._on_checked)

    @property
    def store(self) -> BatchStore:
        """The batches on disk (opened on first use)."""
        if self._store is None:
            from ...core.batch.store import BatchStore

            self._store = BatchStore(self._store_path, self._notices)
        return self._store

    def on_attach(self, page: BatchesPage) -> None:
        """The screen was built: it lists this server's batches."""
        page.batch_selected.connect(self.show_batch)
        page.refresh_requested.connect(self.refresh_list)
        self.refresh_list()

    # ------------------------------------------------------------------ a new batch

    def request_new(self, wpid: str) -> None:
        self._tasks.spawn(f"ui.batch.new.{wpid}", self.open_setup(wpid))

    async def open_setup(self, wpid: str) -> BatchSetup | None:
        from ...api.errors import SkyvernError
        from .setup import BatchSetup

        client = self._session.client
        if client is None:
            return None
        try:
            workflow = await client.get_workflow(wpid)
        except SkyvernError as exc:
            self._session.note_error(exc)
            self._reporter.report("The batch could not be set up.", exc)
            return None
        setup = BatchSetup(
            workflow, client, self._tasks, self.store.remembered_mapping(wpid), parent=None
        )
        self._workflows[wpid] = workflow
        self.setups.append(setup)
        setup.start_requested.connect(self.start)
        setup.closed.connect(lambda: self._close_setup(setup))
        self.page.show_widget(setup)
        self.page_wanted.emit()
        self._tasks.spawn(f"{setup.task_prefix}.lists", setup.load_lists())
        return setup

    def _close_setup(self, setup: BatchSetup) -> None:
        if setup in self.setups:
            self.setups.remove(setup)
        setup.stop_tasks()
        self.page.remove_widget(setup)
        setup.deleteLater()

    def start(self, draft: BatchDraft) -> str | None:
        """Write the batch and its rows, then run it. Returns its id."""
        client = self._session.client
        if client is None:
            return None
        info = self.store.create(
            base_url=client.base_url, workflow_permanent_id=draft.workflow_permanent_id,
            workflow_title=draft.workflow_title, source=draft.table.source,
            headers=draft.table.headers, mapping=draft.mapping, options=draft.options,
            title_template=draft.title_template, concurrency=draft.concurrency, rows=draft.rows,
        )  # fmt: skip
        self.store.remember_mapping(
            draft.workflow_permanent_id, draft.mapping, draft.title_template
        )
        wpid = draft.workflow_permanent_id
        for setup in [s for s in self.setups if s.workflow.workflow_permanent_id == wpid]:
            self._close_setup(setup)
        self._open(info)
        self.refresh_list()
        self.page.select(info.batch_id)
        return info.batch_id

    # ------------------------------------------------------------------ runners

    def _open(self, info: BatchInfo) -> BatchRunner | None:
        """The runner and view of a stored batch (made once), running unless it finished."""
        from ...core.batch.runner import BatchRunner
        from .view import BatchView

        client = self._session.client
        if client is None or client.base_url != info.base_url:
            return None
        runner = self.runners.get(info.batch_id)
        if runner is None:
            rows = self.store.rows(info.batch_id)
            batch_id = info.batch_id

            def changed(indices: list[int]) -> None:
                self._on_changed(batch_id, indices)

            runner = BatchRunner(
                self.store, info, rows, client, changed, on_error=self._reporter.on_task_error
            )
            self.runners[info.batch_id] = runner
            view = BatchView(runner, self._workflows.get(info.workflow_permanent_id))
            view.run_open_requested.connect(self.run_open_requested)
            view.export_requested.connect(lambda b=info.batch_id: self.export(b))
            view.find_requested.connect(lambda i, b=info.batch_id: self.find_run(b, i))
            view.cancel_running_requested.connect(
                lambda b=info.batch_id: self._tasks.spawn(
                    f"batch.{b}.cancel", self._cancel_running(b)
                )
            )
            self.views[info.batch_id] = view
            if info.workflow_permanent_id not in self._workflows:
                self._tasks.spawn(
                    f"batch.{info.batch_id}.workflow", self._load_workflow(info.batch_id)
                )
        self.page.show_widget(self.views[info.batch_id])
        self._ensure_running(info.batch_id)
        return runner

    async def _load_workflow(self, batch_id: str) -> None:
        """The view of a batch reopened later names its inputs as the workflow does."""
        from ...api.errors import SkyvernError
        from ...core.forms.params import specs_for

        runner = self.runners.get(batch_id)
        if runner is None:
            return
        try:
            workflow = await runner.client.get_workflow(runner.info.workflow_permanent_id)
        except SkyvernError:
            return  # the workflow is gone: the columns keep no input names
        self._workflows[workflow.workflow_permanent_id] = workflow
        view = self.views.get(batch_id)
        if view is not None:
            view.model.specs = specs_for(workflow.workflow_definition.parameters)
            view.model.set_rows(runner.rows)

    def _ensure_running(self, batch_id: str) -> None:
        from ...core.batch.store import BatchState

        runner = self.runners[batch_id]
        name = f"batch.{batch_id}"
        if name in self._tasks.names:
            return
        if runner.settled and runner.state is not BatchState.PAUSED:
            if runner.state is not BatchState.FINISHED:
                runner.info.state = BatchState.FINISHED
                self.store.set_state(batch_id, BatchState.FINISHED)
            return
        self._tasks.spawn(name, self._run(runner), daemon=True)

    async def _run(self, runner: BatchRunner) -> None:
        from ...core.batch.rows import summary

        try:
            await runner.run()
        finally:
            await runner.aclose()
        info = runner.info
        self.refresh_list()
        self.notify.emit(f"Batch of “{info.workflow_title}” ended", summary(runner.rows))

    def _on_changed(self, batch_id: str, indices: list[int]) -> None:
        view = self.views.get(batch_id)
        if view is not None:
            view.rows_changed(indices)
        runner = self.runners.get(batch_id)
        if (
            runner is not None
            and f"batch.{batch_id}" not in self._tasks.names
            and not runner.settled
        ):
            self._ensure_running(batch_id)  # a control brought rows back (Retry failed…)

    async def _cancel_running(self, batch_id: str) -> None:
        from ...api.errors import SkyvernError

        runner = self.runners.get(batch_id)
        if runner is None:
            return
        try:
            n = await runner.cancel_running()
        except SkyvernError as exc:
            self._reporter.report("The runs could not all be canceled.", exc)
            return
        self.message.emit(f"Asked the server to cancel {n} run{'s' if n != 1 else ''}.")

    # ------------------------------------------------------------------ the list

    def refresh_list(self) -> None:
        from ...core.batch.rows import summary
        from ...core.batch.store import BatchState

        client = self._session.client
        if not self.attached or client is None:
            return
        items = []
        for info in self.store.batches(client.base_url):
            runner = self.runners.get(info.batch_id)
            rows = runner.rows if runner else self.store.rows(info.batch_id)
            when = datetime.fromtimestamp(info.created_at, UTC).astimezone()
            state = {
                BatchState.RUNNING: "running", BatchState.PAUSED: "paused",
                BatchState.STOPPED: "stopping", BatchState.FINISHED: summary(rows),
            }[info.state]  # fmt: skip
            text = f"{info.workflow_title}\n{when:%d %b %H:%M} · {len(rows)} rows · {state}"
            items.append((info.batch_id, text, f"{info.source}\n{info.batch_id}"))
        self.page.set_batches(items)

    def show_batch(self, batch_id: str) -> None:
        info = self.store.get(batch_id)
        if info is not None:
            if batch_id in self.runners:
                self.page.show_widget(self.views[batch_id])
            else:
                self._open(info)

    def _on_client_changed(self) -> None:
        self._tasks.spawn("ui.batch.switch", self._close_others())

    def _on_checked(self) -> None:
        if self._session.client is not None and not self._headless:
            self._tasks.spawn("ui.batch.reopen", self._reopen())

    async def _close_others(self) -> None:
        """Close the runners of the server left."""
        client = self._session.client
        for batch_id, runner in list(self.runners.items()):
            if client is None or runner.client is not client:
                self._tasks.cancel(f"batch.{batch_id}")
                await runner.aclose()
                self.runners.pop(batch_id, None)
                view = self.views.pop(batch_id, None)
                if view is not None and self.attached:
                    self.page.remove_widget(view)
                    view.deleteLater()

    async def _reopen(self) -> None:
        """Reopen this server's unfinished batches (paused, the first time this app sees
        them: the app ended while they ran), once its connection is checked."""
        from ...core.batch.store import BatchState

        await self._tasks.wait("ui.batch.switch")
        client = self._session.client
        if client is None:
            return
        for info in self.store.batches(client.base_url):
            if info.state is BatchState.FINISHED or info.batch_id in self.runners:
                continue
            if info.batch_id not in self._reopened:
                self._reopened.add(info.batch_id)
                self.store.reopen_after_crash(info.batch_id)
                info = self.store.get(info.batch_id) or info
            self._open(info)
        self.refresh_list()

    # ------------------------------------------------------------------ helping the operator

    def find_run(self, batch_id: str, index: int) -> None:
        self._tasks.spawn(f"batch.{batch_id}.find.{index}", self._find(batch_id, index))

    async def _find(self, batch_id: str, index: int) -> None:
        from ...api.errors import SkyvernError

        runner = self.runners.get(batch_id)
        if runner is None or batch_id not in self.views:
            return
        try:
            found = await runner.find_run(index)
        except SkyvernError as exc:
            self._reporter.report("The server's runs could not be searched.", exc)
            return
        view = self.views.get(batch_id)
        if view is None:  # the connection changed meanwhile
            return
        same = [c for c in found if c.same_inputs]
        number = index + 1
        box = QMessageBox(view)
        box.setObjectName("batchFoundRun")
        box.setWindowTitle(f"Row {number}: its run")
        if same:
            best = same[0]
            when = best.created_at.astimezone().strftime("%H:%M:%S")
            box.setIcon(QMessageBox.Icon.Question)
            box.setText(
                f"The server has run {best.run_id}, started at {when} with row {number}'s"
                f" inputs ({best.status}). It is almost surely this row's run."
                + (f" {len(same) - 1} more run(s) have the same inputs." if len(same) > 1 else "")
            )
            take = box.addButton("Take this run", QMessageBox.ButtonRole.AcceptRole)
            take.setObjectName("batchTakeRun")
            box.addButton(QMessageBox.StandardButton.Cancel)

            def taken(button: object) -> None:
                if button is take and not runner.take_run(index, best.run_id):
                    self.message.emit(
                        f"{best.run_id} is another row's run already; row {number} was left as"
                        " it was."
                    )

            box.buttonClicked.connect(taken)
        else:
            box.setIcon(QMessageBox.Icon.Information)
            others = f" ({len(found)} other run(s) then have other inputs.)" if found else ""
            box.setText(
                f"The server has no run started with row {number}'s inputs around the time"
                f" its request was sent.{others} It most likely did not start: choose Start"
                " again to send it."
            )
            box.addButton(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()

    def export(self, batch_id: str) -> None:
        runner = self.runners.get(batch_id)
        view = self.views.get(batch_id)
        if runner is None or view is None:
            return
        info = runner.info
        stem = "".join(c if c.isalnum() or c in " -_" else "_" for c in info.workflow_title)
        name = f"{stem.strip() or 'batch'} results.xlsx"

        def chosen(path: str) -> None:
            if path:
                self._tasks.spawn(f"batch.{batch_id}.export", self._export(runner, Path(path)))

        ask_save_path(
            view, "Export the batch's results", name, chosen,
            filters=["Excel workbook (*.xlsx)", "CSV, for any spreadsheet (*.csv)"],
        )  # fmt: skip

    async def _export(self, runner: BatchRunner, path: Path) -> None:
        from ...core.batch import export as batch_export

        rows = [copy.copy(r) for r in runner.rows]  # as they are now; the batch may go on
        try:
            await asyncio.to_thread(batch_export.write, path, runner.info.headers, rows)
        except OSError as exc:
            self._reporter.report(f"{path.name} could not be written.", exc)
            return
        self.message.emit(f"Exported {len(rows)} rows to {path}")

    # ------------------------------------------------------------------ quit

    async def aclose(self) -> None:
        for batch_id, runner in list(self.runners.items()):
            self._tasks.cancel(f"batch.{batch_id}")
            await runner.aclose()
        self.runners.clear()
        if self._store is not None:
            self._store.close()
