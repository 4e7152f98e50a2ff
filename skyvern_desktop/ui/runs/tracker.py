"""One watched run, owned by the runs owner (``RunsController``), not by its pane.

A tracker watches its run (``core.runs.watcher.RunWatcher``) until it ends, keeps the
newest state, and writes what it learns to the run registry: the workflow's title when it
first sees which workflow the run belongs to, and the final status. It also reads the
run's details (its inputs and, once it has ended, the server's failure categories) when a
pane on screen asks (:meth:`RunTracker.want_details`): once, and once more after the end,
so a hundred hidden panes ask nothing. A pane binds to it and shows what it says;
the owner hears the end from it directly. So a run id goes launcher → launch owner → runs
owner (registry and tracker) → pane, and nothing travels back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ...core.runs.details import RunDetails, read_details
from ...core.runs.watcher import RunWatcher, WatchPolicy, WatchState
from ..tasks import TaskRunner

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import RunResponse
    from ...core.runs.registry import RunRegistry


class RunTracker(QObject):
    """``updated(run)`` on every new state; ``state_changed(WatchState, message)`` for the
    connection ("reconnecting…"); ``title_known(title)`` once the workflow's title is known;
    ``finished(run)`` once, when the run has ended; ``details_known(RunDetails)`` when its
    inputs and failure categories have been read."""

    updated = Signal(object)  # RunResponse
    state_changed = Signal(object, str)  # WatchState, message
    title_known = Signal(str)
    finished = Signal(object)  # RunResponse
    details_known = Signal(object)  # RunDetails

    def __init__(
        self,
        run_id: str,
        client: SkyvernClient,
        tasks: TaskRunner,
        *,
        title: str | None = None,
        registry: RunRegistry | None = None,
        title_of: Callable[[str], str | None] | None = None,
        policy: WatchPolicy | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.run_id = run_id
        self.client = client
        self._tasks = tasks
        self._registry = registry
        self._title_of = title_of
        self._policy = policy
        self.title = title
        self.run: RunResponse | None = None
        self.final: RunResponse | None = None
        self.was_terminal = False  # the registry knew it had ended before this tracker did
        self.watcher: RunWatcher | None = None
        self.details: RunDetails | None = None
        self._details_of: RunResponse | None = None  # the reading whose details were read
        self._details_wanted = False  # a pane on screen asked for them

    @property
    def task_name(self) -> str:
        return f"runs.track.{self.run_id}"

    def start(self) -> None:
        self._tasks.spawn(self.task_name, self.watch())

    def stop(self) -> None:
        """No more requests for this run (its pane closed, or the connection changed)."""
        self._tasks.cancel(self.task_name)
        self._tasks.cancel(f"runs.details.{self.run_id}")

    async def watch(self) -> RunResponse | None:
        """Watch until the run ends (or the server says it is gone); returns its end."""
        self.watcher = RunWatcher(
            self.client, self.run_id, on_update=self._on_update, on_state=self._on_state,
            policy=self._policy,
        )  # fmt: skip
        final = await self.watcher.watch()
        if final is not None:
            self.final = final
            if self._registry is not None:
                known = self._registry.get(self.client.base_url, self.run_id)
                self.was_terminal = known is not None and known.terminal
                self._registry.record(
                    self.client.base_url, self.run_id, status=str(final.status), terminal=True
                )
            self.finished.emit(final)
            if self._details_wanted:
                self.want_details()
        return final

    def want_details(self) -> None:
        """A pane on screen wants the run's details: read them, unless they were read
        already for this stage (inputs do not change while the run goes on; after the end
        they are read once more, for the failure categories)."""
        self._details_wanted = True
        run = self.final or self.run
        if run is None:
            return
        read = self._details_of
        if read is not None and (read.is_terminal or not run.is_terminal):
            return
        self._details_of = run
        self._tasks.spawn(f"runs.details.{self.run_id}", self._details(run))

    async def _details(self, run: RunResponse) -> None:
        self.details = await read_details(self.client, run)
        self.details_known.emit(self.details)

    def _on_update(self, run: RunResponse) -> None:
        first = self.run is None
        self.run = run
        wpid = run.workflow_permanent_id
        if first and wpid and self.title is None and self._title_of is not None:
            title = self._title_of(wpid)
            if title is not None:
                self.title = title
                if self._registry is not None:
                    self._registry.record(
                        self.client.base_url, self.run_id, workflow_permanent_id=wpid,
                        workflow_title=title,
                    )  # fmt: skip
                self.title_known.emit(title)
        self.updated.emit(run)
        if first and self._details_wanted:
            self.want_details()

    def _on_state(self, state: WatchState, message: str) -> None:
        self.state_changed.emit(state, message)
