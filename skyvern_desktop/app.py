"""The composition root: build the objects, pick the mode (the window, ``--self-test``,
``--screenshot``, each optionally ``--local``), shut down. Each flow is owned in its screen
package (``ui/*/controller.py``, ``ui/*/flow.py``); ``MainWindow.route`` connects them."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from . import APP_ID, APP_NAME, __version__
from .core.connection.profiles import ProfileStore
from .core.connection.secrets import KeyStore
from .core.logs import setup_logging
from .core.paths import AppPaths, app_paths
from .core.storage.notices import Notices

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

    from .core.storage.notices import Notices

    notices = Notices()  # what happened to the app's files, said once the window shows
    paths = app_paths().ensure()
    setup_logging(
        paths.log_file, stderr=bool(os.environ.get("SKYVERN_DESKTOP_LOG_STDERR")), notices=notices
    )
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
            return runner.run(_main(args, paths, headless, instance, notices))
    finally:
        if instance is not None:
            instance.release()


async def _main(
    args: argparse.Namespace, paths: AppPaths, headless: bool, instance: Any = None,
    notices: Notices | None = None,
) -> int:  # fmt: skip
    from .ui.lifecycle import QuitSignals

    # run() paints, then composes
    app = DesktopApp(paths, headless=headless, compose=False, notices=notices)
    app.use_local = bool(getattr(args, "local", False))
    if headless:  # no person waits for a window: the flows are built at once
        app.compose()
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
            from .ui import self_test

            return await self_test.run(app)
        if args.screenshot:
            from .ui import screenshot

            return await screenshot.take(
                app, Path(args.screenshot), args.view, args.workflow, *(args.run or [None])[:2],
                schedule=getattr(args, "schedule", None), cron_text=getattr(args, "cron", None),
                rows=getattr(args, "rows", None), tab=getattr(args, "tab", "overview"),
            )  # fmt: skip
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


class DesktopApp:
    """Owns everything with a lifetime: stores, the session, tasks, flows and the window."""

    def __init__(self, paths: AppPaths, *, headless: bool = False,
                 keys: KeyStore | None = None, compose: bool = True,
                 notices: Notices | None = None) -> None:  # fmt: skip
        from PySide6.QtWidgets import QApplication

        from .core.storage.workflow_lists import WorkflowLists
        from .ui.changes import Changes
        from .ui.context import AppContext
        from .ui.data.catalogue import WorkflowCatalogue
        from .ui.errors import ErrorReporter, install_excepthook
        from .ui.file_notices import FileNoticeTeller, open_settings
        from .ui.main_window import MainWindow
        from .ui.session import Session
        from .ui.tasks import TaskRunner

        qapp = QApplication.instance()
        assert isinstance(qapp, QApplication), "create the QApplication first"
        # Closing the window must not stop the qasync loop: we end it ourselves, after
        # cancelling tasks and closing the HTTP client (see DESIGN.md, "Quit cleanly").
        qapp.setQuitOnLastWindowClosed(False)
        self.paths = paths
        self.headless = headless
        self.notices = notices = notices if notices is not None else Notices()
        self.teller = FileNoticeTeller(notices, headless=headless)
        self.reporter = reporter = ErrorReporter(paths.log_file, headless=headless)
        self._restore_hook = install_excepthook(reporter)
        asyncio.get_running_loop().set_exception_handler(reporter.loop_exception_handler)
        # The services every owner reads, made once and passed once.
        self.ctx = ctx = AppContext(
            paths=paths, session=Session(), tasks=TaskRunner(reporter.on_task_error),
            reporter=reporter, settings=open_settings(paths.ui_state_file, notices),
            notices=notices, profiles=ProfileStore(paths.profiles_file, notices),
            keys=keys if keys is not None else KeyStore(), changes=Changes(), headless=headless,
        )  # fmt: skip
        lists = WorkflowLists(paths.data_dir / "workflow-lists", notices)
        ctx.catalogue = self.catalogue = WorkflowCatalogue(
            ctx.session, ctx.tasks, ctx.changes, lists
        )
        self.store, self.keys, self.session = ctx.profiles, ctx.keys, ctx.session
        self.tasks, self.settings = ctx.tasks, ctx.settings
        self.window = ctx.window = window = MainWindow(ctx)
        reporter.set_parent_window(window)
        self.use_local = False  # --local: connect to the local server (read by compose)
        self.composed = False
        self._closed = asyncio.Event()
        window.closing.connect(self._closed.set)
        if compose:
            self.compose()

    def compose(self) -> None:
        """Build the owners and hand them to the window to connect. The window is whole
        without them (its screens only emit intents), so ``show_window`` paints it first."""
        from .core.runs.registry import RunRegistry
        from .ui.batch.controller import BatchController
        from .ui.codes.controller import CodesController
        from .ui.connection_status import app_icon
        from .ui.data.run_index import RunIndexOwner
        from .ui.launch.controller import LaunchController
        from .ui.local.flow import LocalServerFlow
        from .ui.logins.controller import LoginsController
        from .ui.main_window import Flows
        from .ui.runs.controller import RunsController
        from .ui.schedules.controller import SchedulesController
        from .ui.settings.flow import ConnectionsFlow

        ctx, window = self.ctx, self.window
        window.setWindowIcon(app_icon())
        self.registry = RunRegistry(self.paths.data_dir / "runs.sqlite3", self.notices)
        ctx.run_index = self.run_index = RunIndexOwner(
            ctx.session, ctx.tasks, ctx.changes, self.paths.data_dir / "run-index", parent=window
        )
        self.runs = RunsController(
            ctx, self.registry, title_of=ctx.catalogue.title,
            batch_runs=lambda base_url: self.batches.store.run_ids(base_url), parent=window,
        )  # fmt: skip
        self.codes = CodesController(ctx, parent=window)
        self.logins = LoginsController(ctx, parent=window)
        self.batches = BatchController(ctx, self.paths.data_dir / "batches.sqlite3", window)
        self.launch = LaunchController(ctx, parent=window)
        self.schedules = SchedulesController(ctx, ctx.catalogue, parent=window)
        self.local = LocalServerFlow(ctx, reload_workflows=ctx.catalogue.load)
        self.connections = ConnectionsFlow(ctx, self.local, parent=window)
        self.connections.use_local = self.use_local
        window.route(
            Flows(
                launch=self.launch, runs=self.runs, schedules=self.schedules, local=self.local,
                connections=self.connections, codes=self.codes, batches=self.batches,
                logins=self.logins,
            )
        )  # fmt: skip
        self.composed = True

    async def connect_initial(self, *, interactive: bool) -> bool:
        return await self.connections.connect_initial(interactive=interactive)

    # ------------------------------------------------------------------ modes

    async def show_window(self) -> None:
        """Show the window and let it paint once: what a person waits for at start-up."""
        self.window.show()
        await asyncio.sleep(0)
        self.teller.attach(self.window, self.window.show_message)

    async def run(self) -> int:
        await self.show_window()
        await self.catalogue.show_kept_for(self.store.active, use_local=self.use_local)
        if not self.composed:
            self.compose()
        if not await self.connect_initial(interactive=True):
            return 0
        await self._closed.wait()
        return 0

    # ------------------------------------------------------------------ quit

    async def aclose(self) -> None:
        """Close the forms and panes, stop the local server, cancel every task, close the
        HTTP client and the registry, and destroy the window."""
        from PySide6.QtCore import QCoreApplication, QEvent

        if self.composed:
            self.launch.close_all()
            self.schedules.close_all()
            self.codes.close_all()
            self.runs.close_panes()
            await self.batches.aclose()  # before the server stops: rows on their way are noted
            await self.logins.aclose()  # the browser sessions the app started, unless kept
            await self.local.process.stop()  # no orphan: the server and any browser it started
        await self.tasks.aclose()
        await self.session.aclose()
        if self.composed:
            self.registry.close()
            self.run_index.close()
        if self.window.isVisible():
            self.window.close()
        # Destroy the window now, while Python is fully alive: left to the interpreter's
        # final garbage collection, PySide6 can crash tearing it down.
        self.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._restore_hook()
        asyncio.get_running_loop().set_exception_handler(None)
