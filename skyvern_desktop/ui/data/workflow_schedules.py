"""The schedules the Workflows details panel lists: loading them for the workflow shown,
and its enabled switch (one request at a time per schedule). Owned by the catalogue; the
panel only shows what this gives it (it is known here as the ``SchedulesView`` it is)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from ..widgets.schedules_model import SchedulesModel
from .schedule_switch import switch_schedule

if TYPE_CHECKING:
    from ...api.models import ScheduleFields
    from ..session import Session
    from ..tasks import TaskRunner


class SchedulesView(Protocol):
    """What the details panel shows of a workflow's schedules."""

    @property
    def schedules_model(self) -> SchedulesModel: ...
    def show_schedules(self, schedules: list[Any] | None, error: str | None = None) -> None: ...
    def show_schedule_problem(self, message: str) -> None: ...


class WorkflowSchedules(QObject):
    """``changed(wpid)`` after the switch paused or resumed a schedule of ``wpid``."""

    changed = Signal(str)

    def __init__(self, session: Session, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._view: SchedulesView | None = None
        self.shown_for: str | None = None  # the workflow whose schedules are listed

    def bind(self, view: SchedulesView) -> None:
        self._view = view
        view.schedules_model.toggle_requested.connect(
            lambda s, on: self._tasks.spawn(
                f"workflows.schedule_toggle.{s.workflow_schedule_id}",
                self.set_enabled(s, on),
                replace=False,  # one request at a time per schedule; never cancel one sent
            )
        )

    def forget(self) -> None:
        """Another server: the panel loads them again when a workflow is shown."""
        self._tasks.cancel("workflows.details_schedules")
        self.shown_for = None

    def show_for(self, wpid: str | None) -> None:
        """The panel shows ``wpid`` (or nothing): list its schedules, unless they are."""
        if wpid is None:
            self.shown_for = None
        elif wpid != self.shown_for:
            self.reload(wpid)

    def reload(self, wpid: str | None = None) -> None:
        """Load the schedules the panel lists (for ``wpid``, or the workflow shown)."""
        wpid = wpid or self.shown_for
        if wpid is None or self._session.client is None or self._view is None:
            return
        if wpid != self.shown_for:
            self._view.show_schedules(None)
        self.shown_for = wpid
        self._tasks.spawn("workflows.details_schedules", self.load(wpid))

    async def load(self, wpid: str) -> None:
        from ...api.errors import ServerError, SkyvernError

        client, view = self._session.client, self._view
        if client is None or view is None:
            return
        try:
            schedules = await client.list_workflow_schedules(wpid)
        except ServerError as exc:
            if self.shown_for == wpid:
                view.show_schedules([], "off" if exc.status_code == 501 else str(exc))
            return
        except SkyvernError as exc:
            if self.shown_for == wpid:
                view.show_schedules([], str(exc))
            return
        if self.shown_for == wpid:
            view.show_schedules(list(schedules))

    async def set_enabled(self, schedule: ScheduleFields, enabled: bool) -> None:
        """The panel's enabled switch."""
        client, view = self._session.client, self._view
        if view is None:
            return
        model = view.schedules_model
        if client is None:
            model.set_pending(schedule.workflow_schedule_id, False)
            return
        problem = await switch_schedule(model, client, schedule, enabled)
        if problem is not None:
            view.show_schedule_problem(problem)
            return
        self.changed.emit(schedule.workflow_permanent_id)
