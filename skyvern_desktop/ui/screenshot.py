"""``--screenshot FILE --view VIEW``: render one view offscreen once its data has loaded."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QWidget

from .batch.controller import BatchController
from .launch.controller import LaunchController
from .main_window import MainWindow
from .runs.controller import RunsController
from .runs.pane import RunPane
from .schedules.controller import SchedulesController
from .settings.flow import ConnectionsFlow
from .tasks import TaskRunner


class Subject(Protocol):
    """What the screenshot mode drives: the app's window and its flows."""

    window: MainWindow
    tasks: TaskRunner
    connections: ConnectionsFlow
    launch: LaunchController
    schedules: SchedulesController
    runs: RunsController
    batches: BatchController


async def _loaded(app: Subject, prefix: str, within: float = 20.0) -> None:
    """Wait for a form's own tasks (its lists, named ``prefix…``) to finish; not for the
    rest of the app's, such as the watchers of run panes restored from last time, which
    may run for hours."""
    deadline = time.monotonic() + within

    def busy() -> bool:
        return any(n.startswith(prefix) for n in app.tasks.names)

    while busy() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def _show_tab(app: Subject, pane: RunPane, tab: str) -> None:
    """``--tab``: the pane's Inputs or Steps (with the step where it failed, or its last
    step, chosen, and that step's screenshot and the thumbnails on screen loaded)."""
    if tab == "inputs":
        pane.tabs.setCurrentWidget(pane.inputs)
    elif tab == "steps":
        pane.tabs.setCurrentWidget(pane.steps)
        steps = pane.steps.steps
        if steps:
            chosen = pane.why.step if pane.why is not None and pane.why.step else None
            index = steps.index(chosen) if chosen in steps else len(steps) - 1
            with_shot = [i for i, s in enumerate(steps) if s.screenshot_id and i <= index]
            pane.steps.select_step(with_shot[-1] if with_shot else index)
        await asyncio.sleep(0.1)  # the thumbnails are asked for after 30 ms
        await _loaded(app, f"pane.thumbs.{pane.run_id}")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201
    return 1


async def take(
    app: Subject,
    target: Path,
    view: str,
    workflow: str | None = None,
    run: str | None = None,
    other_run: str | None = None,
    *,
    schedule: str | None = None,
    cron_text: str | None = None,
    rows: str | None = None,
    tab: str = "overview",
) -> int:
    """Render ``view`` offscreen at 1280×800 once its data has loaded, and save it as PNG."""
    window = app.window
    window.resize(1280, 800)
    window.show()
    subject: QWidget = window
    if view == "run":
        if not run:
            return _error("--view run needs --run RUN_ID")
        await app.connections.connect_initial(interactive=False)
        await window.workflows.wait_loaded()
        app.runs.open_run(run)
        pane = window.runs.panes.get(run)
        if pane is not None:
            # An ended run: once its results have loaded. A running one: once its
            # Overview shows a live picture and the block it is in (or it ends).
            follower = pane.follower

            def finished() -> bool:  # ended, and its results and inputs loaded
                loading = f"pane.results.{pane.run_id}" in app.tasks.names
                return pane.tracker.final is not None and not loading and pane.details is not None

            def ready() -> bool:
                live = follower.slot.shown > 0 and follower.place is not None
                if follower.run is not None and str(follower.run.status) == "paused":
                    # A run waiting for a person: its question, over its live picture.
                    return pane.question.isVisible() and follower.slot.shown > 0
                return finished() or (live and not follower.over())

            deadline = time.monotonic() + 20
            while not ready() and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            await _show_tab(app, pane, tab)
    elif view == "compare":
        if not run or not other_run:
            return _error("--view compare needs two runs: --run A --run B")
        await app.connections.connect_initial(interactive=False)
        compared = await app.runs.open_comparison(run, other_run)
        if compared is None:
            return _error(window.message.text() or "cannot compare these runs")
        await asyncio.sleep(0.2)
        await _loaded(app, "runs.compare")
        subject = compared
    elif view == "launch":
        if not workflow:
            return _error("--view launch needs --workflow WPID")
        await app.connections.connect_initial(interactive=False)
        launcher = await app.launch.open_launcher(workflow)
        if launcher is None:
            return _error(f"cannot open the launcher for {workflow}")
        await _loaded(app, launcher.task_prefix)
        subject = launcher
    elif view == "schedule-editor":
        if not workflow:
            return _error("--view schedule-editor needs --workflow WPID")
        await app.connections.connect_initial(interactive=False)
        await window.workflows.wait_loaded()
        editor = await app.schedules.open_editor(workflow, schedule)
        if editor is None:
            return _error(f"cannot open the schedule editor for {workflow}")
        if cron_text is not None:
            editor.type_cron(cron_text)
        await _loaded(app, editor.task_prefix)
        subject = editor
    elif view == "batch":
        if not workflow or not rows:
            return _error("--view batch needs --workflow WPID and --rows FILE")
        await app.connections.connect_initial(interactive=False)
        await window.workflows.wait_loaded()
        setup = await app.batches.open_setup(workflow)
        if setup is None:
            return _error(f"cannot set up a batch of {workflow}")
        setup.open_path(Path(rows))  # read and checked; nothing is started
        await _loaded(app, setup.task_prefix)
    elif view in ("connections", "first-run"):
        dialog = app.connections.make_dialog(first_run=view == "first-run")
        dialog.show()
        subject = dialog
    else:
        window.show_page(view)
        if await app.connections.connect_initial(interactive=False):
            await window.workflows.wait_loaded()
            if view == "schedules":
                await app.schedules.listing.load()
            if view == "logins":
                await _loaded(app, "ui.logins.load")
    # Let layouts settle and paint. The qasync loop is Qt's loop, so sleeping on it
    # processes Qt events; calling processEvents() here would nest a second loop.
    await asyncio.sleep(0.25)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not subject.grab().save(str(target), "PNG"):
        return _error(f"could not write {target}")
    print(f"wrote {target}")  # noqa: T201
    return 0
