"""The Schedules screen's list, owned by the schedules owner: loading the page of
schedules the screen asks for, pausing and resuming (one request at a time per schedule),
and deleting (after asking, naming the schedule). The screen only shows what this gives it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from ...core.schedules.rules import schedule_title
from ..data.schedule_switch import switch_schedule
from ..dialogs import ask
from ..session import Session
from ..tasks import TaskRunner
from .query import ScheduleQuery

if TYPE_CHECKING:
    from ...api.models.schedules import ScheduleFields
    from .page import SchedulesPage

log = logging.getLogger(__name__)


class SchedulesListing(QObject):
    """``changed(wpid)`` after a schedule of ``wpid`` was paused, resumed or deleted here."""

    changed = Signal(str)

    def __init__(self, session: Session, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._tasks = tasks
        self._page: SchedulesPage | None = None
        session.client_changed.connect(self._on_client_changed)

    def bind(self, page: SchedulesPage) -> None:
        self._page = page
        page.query_wanted.connect(self.request)
        page.toggle_requested.connect(self.request_toggle)
        page.delete_requested.connect(
            lambda s: self._tasks.spawn(
                f"schedules.delete.{s.workflow_schedule_id}", self.confirm_delete(s)
            )
        )
        page.set_connected(self._session.client is not None)

    def _on_client_changed(self) -> None:
        self._tasks.cancel("schedules.load")
        if self._page is not None:
            self._page.set_connected(self._session.client is not None)

    # ------------------------------------------------------------------ the list

    def request(self, query: ScheduleQuery) -> None:
        if self._session.client is not None:
            self._tasks.spawn("schedules.load", self.load(query))

    async def load(self, query: ScheduleQuery | None = None) -> None:
        """The schedules ``query`` names (by default what the screen asks now), shown."""
        from ...api.errors import ServerError, SkyvernError

        client, page = self._session.client, self._page
        if client is None or page is None:
            return
        query = query if query is not None else page.query()
        page.show_loading()
        try:
            result = await client.list_schedules(
                status=query.status,
                search=query.search,
                page=query.page,
                page_size=query.page_size,
            )
        except SkyvernError as exc:
            self._session.note_error(exc)
            turned_off = isinstance(exc, ServerError) and exc.status_code == 501
            page.show_failure(str(exc), turned_off=turned_off)
            return
        if client is self._session.client:
            page.show_list(query, result)

    # ------------------------------------------------------------------ actions

    def request_toggle(self, schedule: ScheduleFields, enabled: bool) -> None:
        """Pause or resume (the row was marked busy by the screen). One request at a time
        per schedule: a second click while the first is on its way is ignored, and a
        request already sent is never cancelled."""
        self._tasks.spawn(
            f"schedules.toggle.{schedule.workflow_schedule_id}",
            self.set_enabled(schedule, enabled),
            replace=False,
        )

    async def set_enabled(self, schedule: ScheduleFields, enabled: bool) -> bool:
        """Pause or resume; the row shows the server's answer."""
        client, page = self._session.client, self._page
        if page is None:
            return False
        if client is None:
            page.model.set_pending(schedule.workflow_schedule_id, False)
            return False
        problem = await switch_schedule(page.model, client, schedule, enabled)
        page.show_problem(problem)
        if problem is not None:
            return False
        self.changed.emit(schedule.workflow_permanent_id)
        return True

    async def confirm_delete(self, schedule: ScheduleFields) -> bool:
        page, client = self._page, self._session.client
        if page is None or client is None:
            return False
        workflow = schedule.workflow_title or schedule.workflow_permanent_id
        if not await ask(
            page, "scheduleDeleteConfirm", "Delete schedule",
            f"Delete the schedule “{schedule_title(schedule)}” of {workflow}?", "Delete",
            detail="It stops running. Runs it already started are kept. This cannot be undone.",
            icon=QMessageBox.Icon.Warning, destructive=True,
        ):  # fmt: skip
            return False
        if client is not self._session.client:
            return False  # another server now: its schedules are not the one asked about
        return await self.delete(schedule)

    async def delete(self, schedule: ScheduleFields) -> bool:
        from ...api.errors import NotFoundError, SkyvernError

        client, page = self._session.client, self._page
        if client is None or page is None:
            return False
        try:
            await client.delete_schedule(
                schedule.workflow_permanent_id, schedule.workflow_schedule_id
            )
        except NotFoundError:
            pass  # already gone: the list catches up when it is loaded again
        except SkyvernError as exc:  # ClientClosedError too: the connection was switched
            page.show_problem(f"“{schedule_title(schedule)}” was not deleted: {exc}")
            return False
        page.show_problem(None)
        self.changed.emit(schedule.workflow_permanent_id)  # every list of it loads again
        return True
