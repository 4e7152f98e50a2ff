"""The composition root: QApplication, the qasync loop, the stores, the client and the window."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import APP_ID, APP_NAME, __version__
from .core.connection import ConnectionState
from .core.logs import setup_logging
from .core.paths import AppPaths, app_paths
from .core.profiles import (
    Profile,
    ProfileKind,
    ProfileStore,
    environment_override,
    environment_profile,
)
from .core.secrets import KeyStore, KeyStoreError
from .core.urls import is_loopback

if TYPE_CHECKING:
    from .api.models import RunResponse
    from .ui.launch.dialog import LaunchDialog
    from .ui.schedules.editor import ScheduleEditor
    from .ui.settings.dialog import ConnectionsDialog

log = logging.getLogger(__name__)


def run_app(args: argparse.Namespace) -> int:
    headless = bool(args.self_test or args.screenshot)
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    else:
        from .core.display import display_problem

        if problem := display_problem(os.environ):
            print(problem, file=sys.stderr)  # noqa: T201
            return 1
    from PySide6.QtWidgets import QApplication

    paths = app_paths().ensure()
    setup_logging(paths.log_file, stderr=bool(os.environ.get("SKYVERN_DESKTOP_LOG_STDERR")))
    log.info("starting %s %s", APP_NAME, __version__)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName(APP_NAME)
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName(APP_ID)

    from .ui.lifecycle import SingleInstance, quiet_offscreen_chatter
    from .ui.loop import new_event_loop

    if headless:
        quiet_offscreen_chatter()

    # One window per user: a second start brings the first to the front and ends. Headless
    # modes stand beside it (and never stop a local server it owns).
    instance = None if headless else SingleInstance(paths.data_dir)
    if instance is not None and not instance.claim():
        log.info("another instance is running; asked it to come to the front")
        print(f"{APP_NAME} is already running; its window was brought to the front.")  # noqa: T201
        return 0
    try:
        with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
            return runner.run(_main(args, paths, headless, instance))
    finally:
        if instance is not None:
            instance.release()


async def _main(
    args: argparse.Namespace, paths: AppPaths, headless: bool, instance: Any = None
) -> int:
    from .ui.lifecycle import QuitSignals

    app = DesktopApp(paths, headless=headless)
    app.use_local = bool(getattr(args, "local", False))
    if instance is not None:
        instance.activated.connect(app.window.bring_to_front)
    # SIGINT, SIGTERM, SIGHUP (and Windows console events) quit as File → Quit does.
    signals = QuitSignals()
    main_task = asyncio.current_task()
    assert main_task is not None
    received: list[int] = []

    def on_signal(signum: int) -> None:
        if not received:
            received.append(signum)
            main_task.cancel()

    signals.quit_requested.connect(on_signal)
    signals.install()
    try:
        if args.self_test:
            return await app.self_test()
        if args.screenshot:
            return await app.screenshot(
                Path(args.screenshot),
                args.view,
                args.workflow,
                getattr(args, "run", None),
                schedule=getattr(args, "schedule", None),
                cron_text=getattr(args, "cron", None),
            )
        return await app.run()
    except asyncio.CancelledError:
        if not received:
            raise
        return 128 + received[0]
    finally:
        try:
            await app.aclose()
        finally:
            signals.uninstall()
            if received:
                log.info("quit on signal %s: cleaned up", received[0])


FormT = TypeVar("FormT", "LaunchDialog", "ScheduleEditor")


def _show_form(form: FormT, registry: list[FormT]) -> FormT:
    """Show a launcher or schedule editor and keep it in ``registry`` until it closes;
    then it is forgotten and deleted."""

    def forget(_result: int) -> None:
        if form in registry:
            registry.remove(form)
        form.deleteLater()

    form.finished.connect(forget)
    registry.append(form)
    form.show()
    form.raise_()
    return form


class DesktopApp:
    """Owns everything with a lifetime: stores, the session, tasks and the main window."""

    def __init__(
        self, paths: AppPaths, *, headless: bool = False, keys: KeyStore | None = None
    ) -> None:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from .ui.errors import ErrorReporter, install_excepthook
        from .ui.main_window import MainWindow, app_icon
        from .ui.session import Session
        from .ui.tasks import TaskRunner

        qapp = QApplication.instance()
        assert isinstance(qapp, QApplication), "create the QApplication first"
        # Closing the window must not stop the qasync loop: we end it ourselves, after
        # cancelling tasks and closing the HTTP client (see DESIGN.md, "Quit cleanly").
        qapp.setQuitOnLastWindowClosed(False)
        self.paths = paths
        self.headless = headless
        self.store = ProfileStore(paths.profiles_file)
        self.keys = keys if keys is not None else KeyStore()
        self.reporter = ErrorReporter(paths.log_file, headless=headless)
        self._restore_hook = install_excepthook(self.reporter)
        asyncio.get_running_loop().set_exception_handler(self.reporter.loop_exception_handler)
        self.tasks = TaskRunner(self.reporter.on_task_error)
        self.session = Session()
        self.settings = QSettings(str(paths.ui_state_file), QSettings.Format.IniFormat)
        self.window = MainWindow(self.session, self.tasks, self.settings, str(paths.log_dir))
        self.window.setWindowIcon(app_icon())
        self.reporter.set_parent_window(self.window)
        self.window.connections_requested.connect(self._on_connections_requested)
        self.window.launch_requested.connect(
            lambda wpid: self.tasks.spawn(f"ui.launch.{wpid}", self.open_launcher(wpid))
        )
        self.window.rerun_requested.connect(
            lambda wpid, run_id: self.tasks.spawn(
                f"ui.launch.{wpid}", self.open_launcher(wpid, rerun_of=run_id)
            )
        )
        self.launchers: list[LaunchDialog] = []
        self.schedule_editors: list[ScheduleEditor] = []
        # A form holds the client it was opened with; another connection closes it.
        self.session.client_changed.connect(self._close_stale_forms)
        from .core.registry import RunRegistry

        self.registry = RunRegistry(paths.data_dir / "runs.sqlite3")
        runs = self.window.runs
        runs.pane_closed.connect(self._on_pane_closed)
        runs.title_wanted.connect(self._on_title_wanted)
        runs.open_requested.connect(
            lambda run_id, wpid: self.open_run(run_id, workflow_permanent_id=wpid or None)
        )
        runs.run_finished.connect(self._on_run_finished)
        runs.rerun_requested.connect(
            lambda wpid, run_id: self.tasks.spawn(
                f"ui.launch.{wpid}", self.open_launcher(wpid, rerun_of=run_id)
            )
        )
        self.session.client_changed.connect(self._restore_panes)
        self._runs_starting: set[str] = set()
        schedules = self.window.schedules
        workflows = self.window.workflows
        schedules.new_requested.connect(
            lambda: self.tasks.spawn("ui.schedule.new", self.open_schedule_editor(None))
        )
        schedules.edit_requested.connect(self._edit_schedule)
        workflows.edit_schedule_requested.connect(self._edit_schedule)
        workflows.new_schedule_requested.connect(
            lambda wpid: self.tasks.spawn(
                f"ui.schedule.new.{wpid}", self.open_schedule_editor(wpid)
            )
        )
        schedules.duplicate_requested.connect(
            lambda wpid, sid: self.tasks.spawn(
                f"ui.schedule.duplicate.{sid}",
                self.open_schedule_editor(wpid, sid, duplicate=True),
            )
        )
        schedules.run_now_requested.connect(self.request_run_now)
        schedules.runs_requested.connect(self.show_schedule_runs)
        schedules.changed.connect(self._on_schedules_changed)
        workflows.schedules_changed.connect(lambda _wpid: schedules.reload())
        from .ui.local.controller import LocalServerController

        self.use_local = False  # --local: start (or reuse) the local server and connect to it
        self._local_chosen = False  # "Run Skyvern on this computer" in the connections dialog
        # Parented to the window, so Qt deletes it (and its watch timer) with the window in
        # aclose(), never Python's garbage collector at some later moment.
        self.local = LocalServerController(
            paths.data_dir / "local-server", self.settings, parent=self.window
        )
        self.local.crashed.connect(self._on_local_crashed)
        self.local.state_changed.connect(self._on_local_state)
        self._local_dialogs: list[Any] = []
        self._build_local_menu()
        self._closed = asyncio.Event()
        self._tray: Any = None
        self.window.closing.connect(self._closed.set)
        self._dialog_open = False

    # ------------------------------------------------------------------ modes

    async def run(self) -> int:
        self.window.show()
        if not await self.connect_initial(interactive=True):
            return 0
        await self._closed.wait()
        return 0

    async def self_test(self) -> int:
        """Build the window offscreen; if a connection is configured, load the workflows."""
        self.window.show()
        label = f"{APP_NAME} {__version__}"
        configured = await self.connect_initial(interactive=False)
        if self.use_local and not configured:
            print(f"{label}: FAILED: the local Skyvern server did not start")  # noqa: T201
            return 1
        if not configured:
            print(f"{label}: OK: main window built; no connection configured")  # noqa: T201
            return 0
        report = self.session.report
        if not report.ok:
            print(f"{label}: FAILED: {report.message}")  # noqa: T201
            return 1
        await self.window.workflows.wait_loaded()
        if self.window.workflows.last_error:
            print(f"{label}: FAILED: {self.window.workflows.last_error}")  # noqa: T201
            return 1
        count = self.window.workflows.model.rowCount()
        url = self.session.client.base_url if self.session.client else "?"
        print(  # noqa: T201
            f"{label}: OK: connected to {url}, Skyvern {report.version}, {count} workflows"
        )
        return 0

    async def open_launcher(self, wpid: str, *, rerun_of: str | None = None) -> LaunchDialog | None:
        """Open the run launcher for a workflow (its latest version), optionally filled in
        from an earlier run. Returns ``None`` when not connected or the workflow is gone."""
        from .api.errors import SkyvernError
        from .ui.launch.dialog import LaunchDialog

        client = self.session.client
        if client is None:
            return None
        try:
            workflow = await client.get_workflow(wpid)
        except SkyvernError as exc:
            self.session.note_error(exc)
            self.reporter.report("The run launcher could not open.", exc)
            return None
        earlier_error: SkyvernError | None = None
        earlier = None
        if rerun_of:
            try:
                earlier = await client.get_run(rerun_of)
            except SkyvernError as exc:
                earlier_error = exc
        dialog = LaunchDialog(workflow, client, self.tasks, parent=self.window)
        if earlier is not None and earlier.run_request:
            dialog.prefill(earlier.run_request)
        elif earlier_error is not None:
            dialog.notice.setText(
                f"The earlier run {rerun_of} could not be read ({earlier_error}), so the form"
                " shows the workflow's defaults."
            )
            dialog.notice.show()
        dialog.run_started.connect(self._on_run_started)
        return _show_form(dialog, self.launchers)

    # ------------------------------------------------------------------ schedules

    def _edit_schedule(self, wpid: str, schedule_id: str) -> None:
        self.tasks.spawn(
            f"ui.schedule.edit.{schedule_id}", self.open_schedule_editor(wpid, schedule_id)
        )

    async def _choose_workflow(self) -> str | None:
        """Which workflow a new schedule is for (asked when it was not chosen already)."""
        from PySide6.QtWidgets import QDialog, QInputDialog

        from .ui.dialogs import run_dialog

        await self.window.workflows.wait_loaded()
        rows = self.window.workflows.model.rows
        if not rows:
            self.window.show_message("There are no workflows to schedule yet.")
            return None
        labels = [f"{r.workflow.title}  ({r.wpid})" for r in rows]
        selected = self.window.workflows.selected_workflow_id()
        dialog = QInputDialog(self.window)
        dialog.setObjectName("scheduleWorkflowPicker")
        dialog.setWindowTitle("New schedule")
        dialog.setLabelText("Which workflow should this schedule run?")
        dialog.setComboBoxItems(labels)
        dialog.setComboBoxEditable(False)
        if selected is not None:
            ids = [r.wpid for r in rows]
            if selected in ids:
                dialog.setTextValue(labels[ids.index(selected)])
        result = await run_dialog(dialog)
        chosen = dialog.textValue()
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted or chosen not in labels:
            return None
        return rows[labels.index(chosen)].wpid

    async def open_schedule_editor(
        self, wpid: str | None, schedule_id: str | None = None, *, duplicate: bool = False
    ) -> ScheduleEditor | None:
        """Open the schedule editor: a new schedule (of ``wpid``, or of a workflow the user
        picks), or an existing one to edit or duplicate, read fresh from the server."""
        from .api.errors import SkyvernError
        from .ui.schedules.editor import ScheduleEditor

        if schedule_id is not None and not duplicate:
            for open_editor in self.schedule_editors:
                original = open_editor.original
                if (
                    open_editor.editing
                    and original
                    and original.workflow_schedule_id == schedule_id
                ):
                    open_editor.raise_()  # one editor per schedule: the last save would win
                    open_editor.activateWindow()
                    return open_editor
        if wpid is None:
            wpid = await self._choose_workflow()
            if wpid is None:
                return None
        client = self.session.client
        if client is None:
            return None
        try:
            if schedule_id is None:
                workflow, schedule = await client.get_workflow(wpid), None
            else:
                workflow, answer = await asyncio.gather(
                    client.get_workflow(wpid), client.get_schedule(wpid, schedule_id)
                )
                schedule = answer.schedule
        except SkyvernError as exc:
            self.session.note_error(exc)
            self.reporter.report("The schedule editor could not open.", exc)
            return None
        if self.session.client is not client:
            return None  # the connection changed meanwhile; what was read is another server's
        editor = ScheduleEditor(
            workflow, client, self.tasks, schedule=schedule, duplicate=duplicate,
            parent=self.window,
        )  # fmt: skip
        editor.saved.connect(self._on_schedule_saved)
        return _show_form(editor, self.schedule_editors)

    def _on_schedule_saved(self, result: Any) -> None:
        schedule = result.schedule
        self.window.show_message(
            f"Schedule “{schedule.name or schedule.workflow_schedule_id}” saved."
        )
        self._on_schedules_changed(schedule.workflow_permanent_id)

    def _on_schedules_changed(self, wpid: str) -> None:
        workflows = self.window.workflows
        if workflows.selected_workflow_id() == wpid:
            workflows.reload_workflow_schedules(wpid)
        self.window.schedules.reload()
        workflows.request_refresh()  # the Schedules column

    def request_run_now(self, wpid: str, schedule_id: str) -> None:
        """ "Run now": one run per press, with the schedule's inputs, into a run pane."""
        if schedule_id in self._runs_starting:
            return
        self._runs_starting.add(schedule_id)
        self.tasks.spawn(
            f"ui.schedule.run_now.{schedule_id}", self.run_schedule_now(wpid, schedule_id)
        )

    async def run_schedule_now(self, wpid: str, schedule_id: str) -> RunResponse | None:
        from .api.errors import OutcomeUnknownError, SkyvernError
        from .api.models import WorkflowRunRequest

        self._runs_starting.add(schedule_id)
        try:
            client = self.session.client
            if client is None:
                return None
            try:
                schedule = (await client.get_schedule(wpid, schedule_id)).schedule
            except SkyvernError as exc:
                self.reporter.report("The schedule could not be read, so no run was started.", exc)
                return None
            label = schedule.name or schedule_id
            request = WorkflowRunRequest(
                workflow_id=wpid, parameters=schedule.parameters or None, title=f"{label} (run now)"
            )
            try:
                run = await client.run_workflow(request)
            except OutcomeUnknownError as exc:
                self.reporter.report(
                    f"“{label}” may or may not have started. The app did not try again, so it"
                    " cannot start it twice: look at the workflow's runs before pressing Run now"
                    " again.",
                    exc,
                )
                return None
            except SkyvernError as exc:
                self.reporter.report(f"“{label}” did not start.", exc)
                return None
        finally:
            self._runs_starting.discard(schedule_id)
        self._on_run_started(run)
        return run

    def show_schedule_runs(self, wpid: str, schedule_id: str, label: str) -> None:
        """The run history, filtered to the runs this schedule started."""
        self.window.runs.history.show_schedule(wpid, schedule_id, label)
        self.window.show_page("runs")

    def _close_stale_forms(self) -> None:
        """The connection changed: forms bound to the old client close (unless one is
        sending, which closes once the server has answered)."""
        forms: list[LaunchDialog | ScheduleEditor] = [*self.launchers, *self.schedule_editors]
        for form in forms:
            if not form.busy:
                form.reject()

    def _on_run_started(self, run: RunResponse) -> None:
        self.window.show_message(f"Run {run.run_id} started.")
        self.open_run(run.run_id, workflow_permanent_id=run.workflow_permanent_id)
        self.window.workflows.request_refresh()  # the Last run column

    def _base_url(self) -> str | None:
        return self.session.client.base_url if self.session.client else None

    def open_run(
        self, run_id: str, *, workflow_permanent_id: str | None = None, focus: bool = True
    ) -> None:
        """Open (or show) a live pane for a run, and remember it at once."""
        client = self.session.client
        if client is None:
            return
        title = None
        if workflow_permanent_id:
            workflow = self.window.workflows.model.workflow(workflow_permanent_id)
            title = workflow.title if workflow else None
        self.registry.record(
            client.base_url, run_id, workflow_permanent_id=workflow_permanent_id,
            workflow_title=title, pane_open=True,
        )  # fmt: skip
        self.window.runs.open_run(
            run_id, client, title=title, read_local_files=is_loopback(client.base_url), focus=focus
        )
        if focus:
            self.window.show_page("runs")

    def _restore_panes(self) -> None:
        """After a (re)connect: the panes open last time come back and resume watching."""
        self.window.runs.close_all()
        client = self.session.client
        if client is None:
            return
        for entry in self.registry.open_panes(client.base_url):
            self.window.runs.open_run(
                entry.run_id, client, title=entry.workflow_title,
                read_local_files=is_loopback(client.base_url), focus=False,
            )  # fmt: skip

    def _on_title_wanted(self, run_id: str, wpid: str) -> None:
        workflow = self.window.workflows.model.workflow(wpid)
        if workflow is not None:
            self.window.runs.set_title(run_id, workflow.title)
            if base := self._base_url():
                self.registry.record(
                    base, run_id, workflow_permanent_id=wpid, workflow_title=workflow.title
                )

    def _on_pane_closed(self, run_id: str) -> None:
        if base := self._base_url():
            self.registry.set_pane_open(base, run_id, False)

    def _on_run_finished(self, run: RunResponse) -> None:
        base = self._base_url()
        if base is None:
            return
        known = self.registry.get(base, run.run_id)
        self.registry.record(base, run.run_id, status=str(run.status), terminal=True)
        if known is None or not known.terminal:  # a pane reopened on an old run stays quiet
            self.notify(f"Run {str(run.status).replace('_', ' ')}", f"{run.run_id}")

    def notify(self, title: str, message: str) -> None:
        """A desktop notification where a system tray exists; the status bar always."""
        from PySide6.QtWidgets import QSystemTrayIcon

        self.window.show_message(f"{title}: {message}")
        if not self.settings.value("notifications/enabled", True, type=bool):
            return
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(self.window.windowIcon(), self.window)
                self._tray.show()
            self._tray.showMessage(title, message)

    async def screenshot(
        self,
        target: Path,
        view: str,
        workflow: str | None = None,
        run: str | None = None,
        *,
        schedule: str | None = None,
        cron_text: str | None = None,
    ) -> int:
        """Render ``view`` offscreen at 1280×800 once its data has loaded, and save it as PNG."""
        from PySide6.QtWidgets import QWidget

        self.window.resize(1280, 800)
        self.window.show()
        subject: QWidget = self.window
        if view == "run":
            if not run:
                print("error: --view run needs --run RUN_ID", file=sys.stderr)  # noqa: T201
                return 1
            await self.connect_initial(interactive=False)
            await self.window.workflows.wait_loaded()
            self.open_run(run)
            pane = self.window.runs.panes.get(run)
            if pane is not None:
                finished = asyncio.Event()
                pane.finished.connect(lambda _r: finished.set())
                if not (pane.run is not None and pane.run.is_terminal):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(finished.wait(), timeout=20)
        elif view == "launch":
            if not workflow:
                print("error: --view launch needs --workflow WPID", file=sys.stderr)  # noqa: T201
                return 1
            await self.connect_initial(interactive=False)
            launcher = await self.open_launcher(workflow)
            if launcher is None:
                print(f"error: cannot open the launcher for {workflow}", file=sys.stderr)  # noqa: T201
                return 1
            await self.tasks.join()
            subject = launcher
        elif view == "schedule-editor":
            if not workflow:
                print("error: --view schedule-editor needs --workflow WPID", file=sys.stderr)  # noqa: T201
                return 1
            await self.connect_initial(interactive=False)
            await self.window.workflows.wait_loaded()
            editor = await self.open_schedule_editor(workflow, schedule)
            if editor is None:
                print(f"error: cannot open the schedule editor for {workflow}", file=sys.stderr)  # noqa: T201
                return 1
            if cron_text is not None:
                editor.cadence.raw.setText(cron_text)
                editor.cadence.raw.textEdited.emit(cron_text)
            await self.tasks.join()
            subject = editor
        elif view in ("connections", "first-run"):
            dialog = self._connections_dialog(first_run=view == "first-run")
            dialog.show()
            subject = dialog
        else:
            self.window.show_page(view)
            if await self.connect_initial(interactive=False):
                await self.window.workflows.wait_loaded()
                if view == "schedules":
                    await self.window.schedules.load()
        # Let layouts settle and paint. The qasync loop is Qt's loop, so sleeping on it
        # processes Qt events; calling processEvents() here would nest a second loop.
        await asyncio.sleep(0.25)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not subject.grab().save(str(target), "PNG"):
            print(f"error: could not write {target}", file=sys.stderr)  # noqa: T201
            return 1
        print(f"wrote {target}")  # noqa: T201
        return 0

    # ------------------------------------------------------------------ connecting

    def _resolve(self) -> tuple[Profile, str | None] | None:
        """The profile to use and, when the environment gives one, the key to use."""
        env_url, env_key = environment_override()
        active = self.store.active
        if env_url:
            env_profile = environment_profile(env_url)
            if active is not None and active.base_url == env_profile.base_url:
                return active, env_key
            # Another server than the saved profile's: never send it that profile's key.
            return env_profile, env_key
        if active is not None:
            return active, env_key
        return None

    async def connect_initial(self, *, interactive: bool) -> bool:
        """Connect as configured; with nothing configured, show the first-run dialog.
        With ``--local``, or when the local server was the last connection, start it."""
        env_url, _ = environment_override()
        active = self.store.active
        if self.use_local or (
            not env_url and active is not None and active.kind is ProfileKind.LOCAL
        ):
            if await self.start_local(interactive=interactive):
                return True
            if not interactive:
                return False
            # It did not start: once its window (what went wrong, or how to install
            # Skyvern) is closed, the other ways to connect are offered.
            from .ui.dialogs import wait_closed

            if self._local_dialogs and self._local_dialogs[-1].isVisible():
                await wait_closed(self._local_dialogs[-1])
            self.use_local = False
            others = [p for p in self.store.profiles if p.kind is not ProfileKind.LOCAL]
            connected = await self.open_connections(first_run=not others)
            if not connected:
                self.window.close()
            return connected
        resolved = self._resolve()
        if resolved is None:
            if not interactive:
                return False
            connected = await self.open_connections(first_run=True)
            if not connected:
                self.window.close()
            return connected
        profile, env_key = resolved
        await self.connect(profile, env_key)
        if (
            interactive
            and self.session.report.state is ConnectionState.NO_KEY
            and not profile.is_environment
        ):
            # A key kept only in memory is gone after a restart: ask for it again.
            await self.open_connections()
        return True

    # ------------------------------------------------------------------ local server

    LOCAL_PROFILE_ID = "local-server"

    async def start_local(self, *, interactive: bool = True) -> bool:
        """Start (or reuse) the local server, store its key like any other, connect to it,
        and the first time import the example workflows. False if it did not start."""
        from .api import Secret
        from .core.local_server import (
            LocalServerError,
            ServerMissingError,
            StartCancelledError,
        )
        from .ui.local.controller import ServerState
        from .ui.local.dialogs import StartDialog

        if self.local.state in (ServerState.STARTING, ServerState.STOPPING):
            self.window.show_message("The local server is already starting or stopping.")
            return False
        dialog: StartDialog | None = None
        if not self.headless or interactive:
            dialog = StartDialog(self.local.log_path, parent=self.window)
            dialog.choose_program.connect(lambda: self._choose_program(dialog))
            self._local_dialogs.append(dialog)
            dialog.finished.connect(lambda _r, d=dialog: self._forget_local_dialog(d))
            dialog.show()
        self.window.show_message("Starting the local Skyvern server…")
        try:
            version = await self.local.start(
                cancelled=lambda: dialog is not None and dialog.cancel_requested
            )
        except StartCancelledError:
            if dialog is not None:
                dialog.finish_cancelled()
            self.window.show_message("The local server was not started.")
            return False
        except ServerMissingError as exc:
            self._local_failed(dialog, str(exc), exc.command)
            return False
        except LocalServerError as exc:
            self._local_failed(dialog, str(exc), None)
            return False
        if dialog is not None:
            dialog.accept()
        base_url = self.local.base_url
        key = self.local.api_key()
        assert base_url is not None and key
        log.info("local Skyvern server %s ready at %s", version, base_url)
        profile = Profile(
            name="Local server", kind=ProfileKind.LOCAL, base_url=base_url,
            id=self.LOCAL_PROFILE_ID,
        )  # fmt: skip
        self.store.upsert(profile)
        self.store.set_active(profile.id)
        try:
            await asyncio.to_thread(
                self.keys.set, profile.id, Secret(key), memory_only=not self.keys.available
            )
        except KeyStoreError as exc:
            self.reporter.report("The local server's key could not be stored.", exc)
        await self.session.connect_to(profile, Secret(key))
        await self._import_examples()
        return True

    async def _import_examples(self) -> None:
        from .api.errors import SkyvernError
        from .core.examples import import_examples

        client = self.session.client
        if client is None:
            return
        try:
            created = await import_examples(client, self.local.data_dir)
        except SkyvernError as exc:
            self.reporter.report("The example workflows could not be added.", exc)
            return
        if created:
            log.info("imported %d example workflows", len(created))
            self.window.show_message(f"Added {len(created)} example workflows to try.")
            await self.window.workflows.refresh()

    def _forget_local_dialog(self, dialog: Any) -> None:
        """A start window that closed is deleted (its log timer with it)."""
        if dialog in self._local_dialogs:
            self._local_dialogs.remove(dialog)
        dialog.deleteLater()

    def _local_failed(self, dialog: Any, message: str, command: str | None) -> None:
        if self.headless and dialog is None:
            print(f"error: {message}" + (f"\n  {command}" if command else ""), file=sys.stderr)  # noqa: T201
        elif dialog is not None:
            if command:
                dialog.show_missing(message, command)
            else:
                dialog.show_failure(message)
        self.window.show_message("The local server did not start.")

    def _choose_program(self, dialog: Any) -> None:
        """Ask for the skyvern program (a non-blocking file dialog: no nested event loop);
        once chosen, start the server with it."""
        from PySide6.QtWidgets import QFileDialog

        picker = QFileDialog(self.window, "Choose the skyvern program", str(Path.home()))
        picker.setObjectName("localProgramPicker")
        picker.setFileMode(QFileDialog.FileMode.ExistingFile)

        def chosen(path: str) -> None:
            self.local.set_program(path)
            if dialog is not None:
                dialog.close()
            self.tasks.spawn("local.start", self.start_local(), replace=False)

        picker.fileSelected.connect(chosen)
        picker.finished.connect(lambda _r: picker.deleteLater())
        picker.open()

    def _forget_program(self) -> None:
        """Back to the usual places: the app's own environment, then the cached one."""
        self.local.set_program(None)
        self.window.show_message("The local server will use the default Skyvern from now on.")

    def _on_local_state(self, state: str) -> None:
        from .ui.local.controller import ServerState

        labels = {
            ServerState.STARTING: "Local server: starting…",
            ServerState.RUNNING: "Local server: running",
            ServerState.STOPPING: "Local server: stopping…",
            ServerState.STOPPED: "Local server: stopped",
            ServerState.CRASHED: "Local server: stopped unexpectedly",
        }
        self.window.show_message(labels.get(ServerState(state), state))
        running = state == ServerState.RUNNING
        busy = state in (ServerState.STARTING, ServerState.STOPPING)
        self._local_actions["start"].setEnabled(not running and not busy)
        self._local_actions["stop"].setEnabled(running)
        self._local_actions["restart"].setEnabled(running or state == ServerState.CRASHED)
        self._local_actions["program"].setEnabled(not busy)

    def _on_local_crashed(self, tail: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        profile = self.session.profile
        if profile is not None and profile.kind is ProfileKind.LOCAL:
            # The screens say "not connected" rather than fail request after request.
            self.tasks.spawn("local.disconnect", self.session.close_connection())

        box = QMessageBox(self.window)
        box.setObjectName("localCrashed")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Local server stopped")
        box.setText("The local Skyvern server stopped unexpectedly.")
        box.setInformativeText(
            "Runs it was doing are interrupted. Restart it to go on; the last lines of its"
            " log are below."
        )
        box.setDetailedText(tail)
        restart = box.addButton("Restart", QMessageBox.ButtonRole.AcceptRole)
        restart.setObjectName("localCrashedRestart")
        box.addButton(QMessageBox.StandardButton.Close)

        def finished(_result: int) -> None:
            if box.clickedButton() is restart:
                self.tasks.spawn("local.start", self.start_local(), replace=False)
            box.deleteLater()

        box.finished.connect(finished)
        box.open()

    def _build_local_menu(self) -> None:
        from PySide6.QtGui import QAction
        from PySide6.QtWidgets import QMenu

        bar = self.window.menuBar()
        menu = QMenu("&Local server", bar)
        menu.setObjectName("localMenu")
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_action is not None:
            bar.insertMenu(help_action, menu)  # before Help, where menus usually end
        else:
            bar.addMenu(menu)
        self._local_actions: dict[str, QAction] = {}
        for key, text, slot in (
            ("start", "&Start", lambda: self.tasks.spawn(
                "local.start", self.start_local(), replace=False)),
            ("stop", "S&top", lambda: self.tasks.spawn("local.stop", self.stop_local())),
            ("restart", "&Restart", lambda: self.tasks.spawn(
                "local.start", self.restart_local(), replace=False)),
            ("log", "Show the &log…", self.show_local_log),
            ("browser", "Install the &browser…", self.install_browser),
            ("program", "Choose the skyvern &program…", lambda: self._choose_program(None)),
            ("default", "Use the &default Skyvern", self._forget_program),
            ("limits", "What a local server can &do", self.show_local_limits),
        ):  # fmt: skip
            action = QAction(text, self.window)
            action.setObjectName(f"actionLocal_{key}")
            action.triggered.connect(slot)
            menu.addAction(action)
            self._local_actions[key] = action
            if key in ("restart", "log"):
                menu.addSeparator()
        self._local_actions["stop"].setEnabled(False)
        self._local_actions["restart"].setEnabled(False)

    async def stop_local(self) -> None:
        if self.session.profile is not None and self.session.profile.kind is ProfileKind.LOCAL:
            await self.session.close_connection()
        await self.local.stop()

    async def restart_local(self) -> bool:
        await self.stop_local()
        return await self.start_local()

    def show_local_log(self) -> None:
        from .ui.local.dialogs import LogViewer

        viewer = LogViewer(self.local.log_path, parent=self.window)
        viewer.finished.connect(lambda _r: viewer.deleteLater())
        viewer.show()

    def show_local_limits(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from .ui.local.dialogs import LIMITS_TEXT

        box = QMessageBox(self.window)
        box.setObjectName("localLimits")
        box.setWindowTitle("What a local server can do")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(LIMITS_TEXT)
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()

    def install_browser(self) -> None:
        """Install Playwright's Chromium into the server's environment, showing its output."""
        from PySide6.QtWidgets import QMessageBox

        from .core.local_server import LocalServerError, ServerMissingError
        from .ui.local.dialogs import CommandDialog

        try:
            runtime = self.local.runtime()
        except LocalServerError as exc:
            command = exc.command if isinstance(exc, ServerMissingError) else None
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Install the browser",
                f"{exc}\n\n{command}" if command else str(exc),
                QMessageBox.StandardButton.Close, self.window,
            )  # fmt: skip
            box.setObjectName("installBrowserProblem")
            box.finished.connect(lambda _r: box.deleteLater())
            box.open()  # not the static warning(): that would nest an event loop
            return
        env = {}
        if runtime.browsers_path is not None:  # where this server's Playwright looks
            env["PLAYWRIGHT_BROWSERS_PATH"] = str(runtime.browsers_path)
        dialog = CommandDialog(
            "Installing the browser for the local server",
            [str(runtime.python), "-m", "playwright", "install", "chromium"],
            env=env,
            parent=self.window,
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.show()
        dialog.start()

    async def connect(self, profile: Profile, key_override: str | None = None) -> None:
        from .api import Secret

        key: Secret | None = Secret(key_override) if key_override else None
        if key is None and not profile.is_environment:
            try:
                key = await asyncio.to_thread(self.keys.get, profile.id)
            except KeyStoreError as exc:
                self.reporter.report("The API key could not be read.", exc)
        await self.session.connect_to(profile, key)

    async def connect_saved(self, profile_id: str) -> None:
        profile = self.store.get(profile_id)
        if profile is not None and profile.kind is ProfileKind.LOCAL:
            await self.start_local()  # its address changes with each start
            return
        if profile is not None:
            await self.connect(profile, environment_override()[1])

    # ------------------------------------------------------------------ dialogs

    def _connections_dialog(self, *, first_run: bool) -> ConnectionsDialog:
        from .ui.settings.dialog import ConnectionsDialog

        env_url, env_key = environment_override()
        note = None
        if env_url or env_key:
            note = (
                "SKYVERN_BASE_URL or SKYVERN_API_KEY is set in the environment: it overrides "
                "the chosen connection while this app runs, and is never saved."
            )
        active = self.store.active
        dialog = ConnectionsDialog(
            self.store, self.keys, self.tasks, first_run=first_run,
            active_id=active.id if active else None, env_note=note, parent=self.window,
        )  # fmt: skip
        dialog.connect_requested.connect(
            lambda pid: self.tasks.spawn("session.connect", self.connect_saved(pid))
        )
        dialog.local_requested.connect(self._on_local_requested)
        return dialog

    def _on_local_requested(self) -> None:
        self._local_chosen = True

    async def open_connections(self, *, first_run: bool = False) -> bool:
        from PySide6.QtWidgets import QDialog

        from .ui.dialogs import run_dialog, wait_closed

        if self._dialog_open:
            return False
        self._dialog_open = True
        try:
            while True:
                self._local_chosen = False
                dialog = self._connections_dialog(first_run=first_run)
                result = await run_dialog(dialog)
                dialog.deleteLater()
                if not self._local_chosen:
                    return result == QDialog.DialogCode.Accepted
                if await self.start_local():
                    return True
                # It did not start: once its dialog (what went wrong, or the command that
                # installs Skyvern) is closed, the choice is offered again.
                if self._local_dialogs and self._local_dialogs[-1].isVisible():
                    await wait_closed(self._local_dialogs[-1])
        finally:
            self._dialog_open = False

    def _on_connections_requested(self) -> None:
        self.tasks.spawn("ui.connections", self.open_connections(), replace=False)

    # ------------------------------------------------------------------ quit

    async def aclose(self) -> None:
        """Cancel every task, close the HTTP client, and close the window."""
        for form in [*self.launchers, *self.schedule_editors]:
            form.close()
        self.window.runs.close_all()
        await self.local.stop()  # no orphan: the server and any browser it started
        await self.tasks.aclose()
        await self.session.aclose()
        self.registry.close()
        from PySide6.QtCore import QCoreApplication, QEvent

        if self.window.isVisible():
            self.window.close()
        # Destroy the window now, while Python is fully alive: left to the interpreter's
        # final garbage collection, PySide6 can crash tearing it down.
        self.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._restore_hook()
        asyncio.get_running_loop().set_exception_handler(None)
