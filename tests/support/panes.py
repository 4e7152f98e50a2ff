"""A run pane as the runs owner makes one: a tracker that watches the run, and the pane
bound to it. For tests and benchmarks that show one pane without the whole app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skyvern_desktop.core.runs.watcher import WatchPolicy
from skyvern_desktop.ui.runs.pane import RunPane
from skyvern_desktop.ui.runs.tracker import RunTracker
from skyvern_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from skyvern_desktop.api.client import SkyvernClient


def run_pane(
    run_id: str,
    client: SkyvernClient,
    tasks: TaskRunner,
    *,
    policy: WatchPolicy | None = None,
    read_local_files: bool = False,
    title: str | None = None,
) -> RunPane:
    """The pane of ``run_id``; ``pane.tracker.start()`` starts watching, as the owner does."""
    tracker = RunTracker(run_id, client, tasks, policy=policy, title=title)
    return RunPane(tracker, tasks, read_local_files=read_local_files)
