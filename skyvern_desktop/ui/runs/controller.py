"""The one way a run pane opens, and what follows from it.

Every run the app shows in a pane comes through :meth:`RunsController.open_run`: a run the
launcher or Run now started, one double-clicked in the history, a retried one, and the
panes restored after a restart. Each is recorded in the run registry at once, so panes come
back after a restart or a ``kill -9``; when a watched run ends the person is told once.

It also knows which runs wait for a person (:class:`~...core.attention.PausedRuns`): the
panes report their runs, the history reports what it lists, and while connected a named
task (``runs.waiting``) asks the server for its paused runs every
:attr:`RunsController.WAITING_POLL` seconds, so a scheduled run that pauses is noticed too.
Each pause is told once ("<workflow> needs you", with what it asks); clicking the
notification opens the run's pane. ``waiting_count`` feeds the Runs button's count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from ...api.errors import SkyvernError
from ...core.connection.urls import is_loopback
from ...core.runs.attention import PausedRuns, Waiting, is_paused, read_question, waiting_for
from ...core.runs.compare import DifferentWorkflows, compare
from ...core.runs.details import last_completed, read_side
from ...core.runs.history import Origins, RunPages
from ...core.runs.history_index import IndexedRunPages
from ...core.runs.history_source import ServerRunPages
from ...core.runs.watcher import backoff
from ..changes import ChangeKind
from ..context import AppContext
from ..screen import ScreenOwner
from .compare import CompareView
from .history_feed import RunHistoryFeed
from .tracker import RunTracker

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse, WorkflowRun
    from ...core.runs.registry import RunRegistry
    from .page import RunsPage
    from .pane import PaneWaiting

log = logging.getLogger(__name__)

NOTIFY_SETTING = "notifications/enabled"
WAITING_PAGE = 100
MAX_QUESTIONS = 5
"""Runs found waiting at once whose questions are read for the notification; more are
counted in one notification."""


class RunsController(QObject, ScreenOwner["RunsPage"]):
    """Owns the runs: the panes and the registry. ``message(text)`` for the status bar;
    announces ``Change(RUN_STARTED, wpid)`` after a run this app started has its pane;
    ``pane_focused()`` when a pane was brought forward (the Runs screen is shown);
    ``rerun_requested`` and ``code_requested`` are the Runs screen's intents for the
    launch and codes owners."""

    message = Signal(str)
    pane_focused = Signal()
    rerun_requested = Signal(str, str)  # workflow_permanent_id, run_id
    code_requested = Signal(str, str)  # run_id, totp_identifier
    waiting_count = Signal(int)  # how many runs wait for a person now
    notified = Signal(str, str, str)  # title, message, run_id ("" for several runs)

    WAITING_POLL = 20.0
    """Seconds between asks for the server's paused runs (a pause lasts up to hours)."""

    def __init__(
        self,
        ctx: AppContext,
        registry: RunRegistry,
        *,
        title_of: Callable[[str], str | None],
        batch_runs: Callable[[str], set[str]] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = ctx.tasks
        self.paused = PausedRuns()
        self._notice_run: str | None = None  # what clicking the last notification opens
        self._batch = 0  # names the tasks that tell about runs a list found waiting
        self._session = ctx.session
        self.registry = registry
        self._settings = ctx.settings
        self._title_of = title_of  # a workflow's title, when the Workflows screen knows it
        self._selected: tuple[str | None, str | None] = (None, None)
        self.trackers: dict[str, RunTracker] = {}  # the runs whose panes are open
        self.comparisons: list[CompareView] = []  # the compare windows open
        self._tray: QSystemTrayIcon | None = None
        # The history's pages: the runs owner feeds its Runs screen's history.
        self._batch_runs = batch_runs
        self.history = RunHistoryFeed(
            ctx.session, ctx.tasks, self._history_source, ctx.settings, parent=self,
            run_index=ctx.run_index,
        )  # fmt: skip
        self.history.listed.connect(self._on_runs_listed)
        self.history.message.connect(self.message)
        ctx.session.client_changed.connect(self.restore_panes)
        ctx.session.client_changed.connect(self._forget_waiting)
        ctx.session.checked.connect(self._watch_waiting)
        ctx.catalogue.status_changed.connect(lambda _status: self._offer_workflows())

    def _history_source(self, client: SkyvernClient) -> RunPages:
        """The history's pages: from the index of runs once it holds them all, else the
        server's."""
        server = ServerRunPages(client, self.origins)
        run_index = self._ctx.run_index
        if run_index is None:
            return server
        return IndexedRunPages(
            run_index.index, server, lambda: self.origins(client.base_url),
            lambda: run_index.as_of,
        )  # fmt: skip

    def on_attach(self, page: RunsPage) -> None:
        """The Runs screen exists now: listen to it, and show it what it should know."""
        self.history.bind(page.history)
        page.set_selected_workflow(*self._selected)
        page.rerun_requested.connect(self.rerun_requested)
        page.code_requested.connect(self.code_requested)
        page.open_requested.connect(
            lambda run_id, wpid: self.open_run(run_id, workflow_permanent_id=wpid or None)
        )
        page.pane_closed.connect(self._on_pane_closed)
        page.waiting_changed.connect(self._on_pane_waiting)
        self._offer_workflows()
        page.compare_requested.connect(self.compare_runs)
        page.retry_started.connect(self.on_run_started)
        page.compare_last_requested.connect(self.compare_with_last_completed)

    def _offer_workflows(self) -> None:
        """The history's "More workflows" lists the catalogue's workflows."""
        if self.attached:
            rows = self._ctx.catalogue.model.rows
            self.page.history.set_workflow_choices([(r.wpid, r.workflow.title) for r in rows])

    def set_selected_workflow(self, wpid: str | None, title: str | None) -> None:
        """The workflow selected on the Workflows screen: the history can show only it."""
        self._selected = (wpid, title)
        if self.attached:
            self.page.set_selected_workflow(wpid, title)

    def show_schedule(self, wpid: str, schedule_id: str, label: str) -> None:
        """The run history, filtered to the runs one schedule started, in front."""
        self.page.show_schedule(wpid, schedule_id, label)
        self.pane_focused.emit()

    def close_panes(self) -> None:
        """Close every pane (quitting, or another server), without building the Runs screen
        for it; their runs are no longer watched."""
        for tracker in self.trackers.values():
            tracker.stop()
        self.trackers.clear()
        if self.attached:
            self.page.close_all()

    def _track(self, run_id: str, client: SkyvernClient, title: str | None) -> RunTracker:
        """The tracker of ``run_id``, made and started the first time."""
        tracker = self.trackers.get(run_id)
        if tracker is None or tracker.client is not client:
            if tracker is not None:
                tracker.stop()
            tracker = RunTracker(
                run_id, client, self._tasks, title=title, registry=self.registry,
                title_of=self._title_of, parent=self,
            )  # fmt: skip
            tracker.finished.connect(self._on_run_finished)
            self.trackers[run_id] = tracker
            tracker.start()
        return tracker

    def _base_url(self) -> str | None:
        client = self._session.client
        return client.base_url if client is not None else None

    def open_run(
        self, run_id: str, *, workflow_permanent_id: str | None = None, focus: bool = True
    ) -> None:
        """Open (or show) a live pane for a run, and remember it at once."""
        client = self._session.client
        if client is None:
            return
        title = self._title_of(workflow_permanent_id) if workflow_permanent_id else None
        self.registry.record(
            client.base_url, run_id, workflow_permanent_id=workflow_permanent_id,
            workflow_title=title, pane_open=True,
        )  # fmt: skip
        tracker = self._track(run_id, client, title)
        self.page.open_run(tracker, read_local_files=is_loopback(client.base_url), focus=focus)
        if focus:
            self.pane_focused.emit()

    def origins(self, base_url: str) -> Origins:
        """The runs this app started on ``base_url``, by hand and by its batches."""
        batch = self._batch_runs(base_url) if self._batch_runs is not None else set()
        return Origins(app=self.registry.started_here(base_url), batch=batch)

    def on_run_started(self, run: RunResponse) -> None:
        """A run this app started (the launcher, Run now): its pane, in front."""
        self.message.emit(f"Run {run.run_id} started.")
        if base := self._base_url():
            self.registry.mark_started_here(base, run.run_id)
        self.open_run(run.run_id, workflow_permanent_id=run.workflow_permanent_id)
        self._ctx.changes.announce(ChangeKind.RUN_STARTED, run.workflow_permanent_id)

    def restore_panes(self) -> None:
        """After a (re)connect: the panes open last time come back and resume watching.
        With none to show and the Runs screen never built, it is not built for this."""
        client = self._session.client
        entries = self.registry.open_panes(client.base_url) if client is not None else []
        if not entries and not self.attached:
            return
        self.close_panes()
        if client is None:
            return
        for entry in entries:
            tracker = self._track(entry.run_id, client, entry.workflow_title)
            self.page.open_run(tracker, read_local_files=is_loopback(client.base_url), focus=False)

    def _on_pane_closed(self, run_id: str) -> None:
        if (tracker := self.trackers.pop(run_id, None)) is not None:
            tracker.stop()
        if base := self._base_url():
            self.registry.set_pane_open(base, run_id, False)

    # ------------------------------------------------------------------ comparing two runs

    def compare_runs(self, run_a: str, run_b: str) -> None:
        """Two runs side by side, in a window of their own (read in task ``runs.compare``)."""
        self._tasks.spawn("runs.compare", self.open_comparison(run_a, run_b))

    def compare_with_last_completed(self, run_id: str) -> None:
        """A failed run beside its workflow's last completed run."""
        client = self._session.client
        if client is not None:
            self._tasks.spawn("runs.compare", self._compare_with_last(client, run_id))

    async def _compare_with_last(self, client: SkyvernClient, run_id: str) -> CompareView | None:
        try:
            run = await client.get_run(run_id)
            wpid = run.workflow_permanent_id
            other = await last_completed(client, wpid, run_id) if wpid else None
        except SkyvernError as exc:
            self.message.emit(f"Could not compare: {exc}")
            return None
        if other is None:
            self.message.emit("This workflow has no completed run to compare with.")
            return None
        return await self.open_comparison(other, run_id)

    async def open_comparison(self, run_a: str, run_b: str) -> CompareView | None:
        """Read both runs, compare them, and show the comparison in a window of its own;
        what stops it is said in the status bar, in one sentence."""
        client = self._session.client
        if client is None:
            self.message.emit("Connect to a server to compare runs.")
            return None
        try:
            side_a, side_b = await asyncio.gather(
                read_side(client, run_a), read_side(client, run_b)
            )
            comparison = compare(side_a, side_b)
        except DifferentWorkflows as exc:
            self.message.emit(str(exc))
            return None
        except SkyvernError as exc:
            self.message.emit(f"Could not compare the two runs: {exc}")
            return None
        view = CompareView(
            comparison, client.artifact_content, lambda name, coro: self._tasks.spawn(name, coro),
            parent=self.page.window() if self.attached else None,
        )  # fmt: skip
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.comparisons.append(view)
        view.destroyed.connect(lambda _o=None, v=view: self._forget_comparison(v))
        view.show()
        view.raise_()
        return view

    def _forget_comparison(self, view: CompareView) -> None:
        if view in self.comparisons:
            self.comparisons.remove(view)

    # ------------------------------------------------------------------ waiting for a person

    def _forget_waiting(self) -> None:
        """A new connection: forget the old server's paused runs."""
        for name in [n for n in self._tasks.names if n.startswith("runs.waiting")]:
            self._tasks.cancel(name)
        self.paused.clear()
        self._notice_run = None
        self.waiting_count.emit(0)

    def _watch_waiting(self) -> None:
        """The new connection is checked: watch its paused runs."""
        client = self._session.client
        if client is not None:
            self._tasks.spawn("runs.waiting", self._poll_waiting(client), daemon=True)

    async def _poll_waiting(self, client: SkyvernClient) -> None:
        failures = 0
        while True:
            asked_at = self.paused.now()
            try:
                runs = await client.list_workflow_runs(status=["paused"], page_size=WAITING_PAGE)
            except SkyvernError as exc:
                failures += 1
                log.info("paused runs: %s", exc)
                await asyncio.sleep(backoff(failures, self.WAITING_POLL, 2.0, 300.0, _half))
                continue
            failures = 0
            self._take_listed(client, runs, complete=len(runs) < WAITING_PAGE, asked_at=asked_at)
            await asyncio.sleep(self.WAITING_POLL)

    def _on_runs_listed(self, runs: list[WorkflowRun], asked_at: float) -> None:
        """The history loaded a page (asked for at ``asked_at``): its paused runs wait, its
        others do not."""
        client = self._session.client
        if client is not None:
            self._take_listed(client, runs, complete=False, asked_at=asked_at)

    def _take_listed(
        self, client: SkyvernClient, runs: list[WorkflowRun], *, complete: bool, asked_at: float
    ) -> None:
        listed = {
            r.workflow_run_id: r.workflow_title or self._title_of(r.workflow_permanent_id)
            for r in runs
            if is_paused(r.status)
        }
        others = [r.workflow_run_id for r in runs if not is_paused(r.status)]
        new = self.paused.sync(listed, complete=complete, asked_at=asked_at, not_paused=others)
        self.waiting_count.emit(len(self.paused))
        if new:
            self._batch += 1
            self._tasks.spawn(f"runs.waiting.tell.{self._batch}", self._tell_found(client, new))

    async def _tell_found(self, client: SkyvernClient, run_ids: list[str]) -> None:
        """Runs found waiting by a list: read what each asks, and tell each pause once."""
        told: list[tuple[str, Waiting | None]] = []
        for run_id in run_ids[:MAX_QUESTIONS]:
            question = await self._question(client, run_id)
            if client is not self._session.client:
                return  # the connection changed meanwhile: these runs are another server's
            if run_id in self.paused and self.paused.tell_once(
                run_id, question.since if question else None
            ):
                told.append((run_id, question))
        rest = [r for r in run_ids[MAX_QUESTIONS:] if self.paused.tell_once(r, None)]
        if len(told) == 1 and not rest:
            run_id, question = told[0]
            self._tell_waiting(run_id, self.paused.title(run_id), question)
        elif told or rest:
            self._notice_run = None
            self.notify(
                f"{len(told) + len(rest)} runs need you",
                "They wait for someone to approve or reject. Open Runs → Waiting for me.",
            )

    async def _question(self, client: SkyvernClient, run_id: str) -> Waiting | None:
        """What a run found waiting asks, read from its timeline (best effort: a timeline
        that lags the run's status is read again twice)."""

        async def read() -> Waiting | None:
            try:
                return waiting_for(await client.get_run_timeline(run_id))
            except SkyvernError as exc:
                log.info("timeline of paused run %s: %s", run_id, exc)
                return None

        return await read_question(read)

    def _on_pane_waiting(self, report: PaneWaiting) -> None:
        """A pane read its run: it waits (with its question), or it does not."""
        self.paused.report(report.run_id, report.paused, report.title)
        waiting = report.waiting
        if waiting is not None and self.paused.tell_once(report.run_id, waiting.since):
            self._tell_waiting(report.run_id, report.title, waiting)
        self.waiting_count.emit(len(self.paused))

    def _tell_waiting(self, run_id: str, title: str | None, waiting: Waiting | None) -> None:
        self._notice_run = run_id
        what = waiting.instructions if waiting is not None else "It waits for an answer."
        self.notify(f"{title or 'A run'} needs you", f"{what}\n{run_id}", run_id=run_id)

    def open_noticed(self) -> None:
        """The last notification was clicked: its run's pane, in front."""
        if self._notice_run:
            self.open_run(self._notice_run)
        else:
            self.page.show_waiting()
            self.pane_focused.emit()

    def _on_run_finished(self, run: RunResponse) -> None:
        """A tracked run ended (its tracker has recorded it): tell the person once."""
        tracker = self.trackers.get(run.run_id)
        self._ctx.changes.announce(ChangeKind.RUN_ENDED, run.workflow_permanent_id)
        if tracker is None or tracker.was_terminal:
            return  # a pane reopened on a run that had ended stays quiet
        self._notice_run = run.run_id
        self.notify(f"Run {str(run.status).replace('_', ' ')}", f"{run.run_id}", run_id=run.run_id)

    def notify(self, title: str, message: str, *, run_id: str = "") -> None:
        """A desktop notification where a system tray exists; the status bar always."""
        self.message.emit(f"{title}: {message.splitlines()[0] if message else ''}")
        if not self._settings.value(NOTIFY_SETTING, True, type=bool):
            return
        self.notified.emit(title, message, run_id)
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                window = self.page.window()
                self._tray = QSystemTrayIcon(window.windowIcon(), window)
                self._tray.messageClicked.connect(self.open_noticed)
                self._tray.show()
            self._tray.showMessage(title, message)


def _half() -> float:
    return 0.5
