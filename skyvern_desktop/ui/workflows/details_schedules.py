"""The schedules the workflow details panel lists: loading them for the workflow shown,
and its enabled switch (one request at a time per schedule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ...api.errors import ServerError, SkyvernError
from ..session import Session
from ..tasks import TaskRunner
from ..widgets.schedules_model import switch_schedule
from .details import WorkflowDetails

if TYPE_CHECKING:
    from ...api.models import ScheduleFields


class DetailsSchedules(QObject):
    """``changed(wpid)`` after the switch paused or resumed a schedule of ``wpid``."""

    changed = Signal(str)

    def __init__(
        self, details: WorkflowDetails, session: Session, tasks: TaskRunner,
        parent: QObject | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._details = details
        self._session = session
        self._tasks = tasks
        self.shown_for: str | None = None  # the workflow whose schedules are listed
        details.schedules_model.toggle_requested.connect(
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

    def reload(self, wpid: str | None = None) -> None:
        """Load the schedules the panel lists (for ``wpid``, or the workflow shown)."""
        wpid = wpid or self.shown_for
        if wpid is None or self._session.client is None:
            return
        if wpid != self.shown_for:
            self._details.show_schedules(None)
        self.shown_for = wpid
        self._tasks.spawn("workflows.details_schedules", self.load(wpid))

    async def load(self, wpid: str) -> None:
        client = self._session.client
        if client is None:
            return
        try:
            schedules = await client.list_workflow_schedules(wpid)
        except ServerError as exc:
            if self.shown_for == wpid:
                self._details.show_schedules([], "off" if exc.status_code == 501 else str(exc))
            return
        except SkyvernError as exc:
            if self.shown_for == wpid:
                self._details.show_schedules([], str(exc))
            return
        if self.shown_for == wpid:
            self._details.show_schedules(list(schedules))

    async def set_enabled(self, schedule: ScheduleFields, enabled: bool) -> None:
        """The panel's enabled switch."""
        client = self._session.client
        model = self._details.schedules_model
        if client is None:
            model.set_pending(schedule.workflow_schedule_id, False)
            return
        problem = await switch_schedule(model, client, schedule, enabled)
        if problem is not None:
            self._details.show_schedule_problem(problem)
            return
        self.changed.emit(schedule.workflow_permanent_id)
