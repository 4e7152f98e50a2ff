"""The schedule flows: the editor (new, edit, duplicate; one editor per schedule), the
workflow picker for a new schedule, Run now, and Runs of this schedule."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QInputDialog

from ...api.errors import OutcomeUnknownError, SkyvernError
from ...core.schedules.rules import run_now_request, schedule_label
from ..changes import ChangeKind
from ..context import AppContext
from ..dialogs import FormOwner, run_dialog, show_form
from ..screen import ScreenOwner
from .listing import SchedulesListing

if TYPE_CHECKING:
    from ...api.models import RunResponse, ScheduleWithNextRuns
    from .editor import ScheduleEditor
    from .page import SchedulesPage


class WorkflowChoices(Protocol):
    """Where the workflow picker gets its workflows (the Workflows screen)."""

    async def workflow_choices(self) -> list[tuple[str, str]]:
        """(workflow_permanent_id, title) of every workflow, once they are loaded."""
        ...

    def selected_workflow_id(self) -> str | None: ...


class SchedulesController(FormOwner["ScheduleEditor"], ScreenOwner["SchedulesPage"]):
    """Owns the Schedules screen's flows. Announces ``Change(SCHEDULES, wpid)`` after a
    schedule of ``wpid`` was saved, switched or deleted; ``run_started(run)`` after Run now
    started a run; ``runs_requested(wpid, schedule_id, label)`` for the runs owner;
    ``message(text)`` for the status bar."""

    run_started = Signal(object)  # RunResponse
    runs_requested = Signal(str, str, str)  # workflow_permanent_id, schedule_id, label
    message = Signal(str)

    def __init__(
        self, ctx: AppContext, workflows: WorkflowChoices, parent: QObject | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self._workflows = workflows
        self._runs_starting: set[str] = set()
        self.listing = SchedulesListing(ctx.session, ctx.tasks, parent=self)
        self.listing.changed.connect(self.announce)

    def on_attach(self, page: SchedulesPage) -> None:
        self.listing.bind(page)
        page.new_requested.connect(lambda: self.request_new(None))
        page.edit_requested.connect(self.request_edit)
        page.duplicate_requested.connect(self.request_duplicate)
        page.run_now_requested.connect(self.request_run_now)
        page.runs_requested.connect(self.runs_requested)

    def announce(self, wpid: str) -> None:
        """A schedule of ``wpid`` changed (saved here, or switched or deleted on a screen)."""
        self._ctx.changes.announce(ChangeKind.SCHEDULES, wpid)

    # ------------------------------------------------------------------ the editor

    def request_new(self, wpid: str | None = None) -> None:
        name = f"ui.schedule.new.{wpid}" if wpid else "ui.schedule.new"
        self._tasks.spawn(name, self.open_editor(wpid))

    def request_edit(self, wpid: str, schedule_id: str) -> None:
        self._tasks.spawn(f"ui.schedule.edit.{schedule_id}", self.open_editor(wpid, schedule_id))

    def request_duplicate(self, wpid: str, schedule_id: str) -> None:
        self._tasks.spawn(
            f"ui.schedule.duplicate.{schedule_id}",
            self.open_editor(wpid, schedule_id, duplicate=True),
        )

    async def choose_workflow(self) -> str | None:
        """Which workflow a new schedule is for (asked when it was not chosen already)."""
        choices = await self._workflows.workflow_choices()
        if not choices:
            self.message.emit("There are no workflows to schedule yet.")
            return None
        labels = [f"{title}  ({wpid})" for wpid, title in choices]
        ids = [wpid for wpid, _title in choices]
        dialog = QInputDialog(self._window)
        dialog.setObjectName("scheduleWorkflowPicker")
        dialog.setWindowTitle("New schedule")
        dialog.setLabelText("Which workflow should this schedule run?")
        dialog.setComboBoxItems(labels)
        dialog.setComboBoxEditable(False)
        selected = self._workflows.selected_workflow_id()
        if selected in ids:
            dialog.setTextValue(labels[ids.index(selected)])
        result = await run_dialog(dialog)
        chosen = dialog.textValue()
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted or chosen not in labels:
            return None
        return ids[labels.index(chosen)]

    async def open_editor(
        self, wpid: str | None, schedule_id: str | None = None, *, duplicate: bool = False
    ) -> ScheduleEditor | None:
        """Open the schedule editor: a new schedule (of ``wpid``, or of a workflow the user
        picks), or an existing one to edit or duplicate, read fresh from the server."""
        from .editor import ScheduleEditor

        if schedule_id is not None and not duplicate:
            for open_editor in self.forms:
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
            wpid = await self.choose_workflow()
            if wpid is None:
                return None
        client = self._session.client
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
            self._session.note_error(exc)
            self._reporter.report("The schedule editor could not open.", exc)
            return None
        if self._session.client is not client:
            return None  # the connection changed meanwhile; what was read is another server's
        new = ScheduleEditor(
            workflow, client, self._tasks, schedule=schedule, duplicate=duplicate,
            parent=self._window,
        )  # fmt: skip
        new.saved.connect(self._on_saved)
        return show_form(new, self.forms)

    def _on_saved(self, result: ScheduleWithNextRuns) -> None:
        self.message.emit(f"Schedule “{schedule_label(result.schedule)}” saved.")
        self.announce(result.schedule.workflow_permanent_id)

    # ------------------------------------------------------------------ Run now

    def request_run_now(self, wpid: str, schedule_id: str) -> None:
        """ "Run now": one run per press, with the schedule's inputs, into a run pane."""
        if schedule_id in self._runs_starting:
            return
        self._runs_starting.add(schedule_id)
        self._tasks.spawn(f"ui.schedule.run_now.{schedule_id}", self.run_now(wpid, schedule_id))

    async def run_now(self, wpid: str, schedule_id: str) -> RunResponse | None:
        self._runs_starting.add(schedule_id)
        try:
            client = self._session.client
            if client is None:
                return None
            try:
                schedule = (await client.get_schedule(wpid, schedule_id)).schedule
            except SkyvernError as exc:
                self._reporter.report("The schedule could not be read, so no run was started.", exc)
                return None
            label = schedule_label(schedule)
            try:
                run = await client.run_workflow(run_now_request(schedule))
            except OutcomeUnknownError as exc:
                self._reporter.report(
                    f"“{label}” may or may not have started. The app did not try again, so it"
                    " cannot start it twice: look at the workflow's runs before pressing Run now"
                    " again.",
                    exc,
                )
                return None
            except SkyvernError as exc:
                self._reporter.report(f"“{label}” did not start.", exc)
                return None
        finally:
            self._runs_starting.discard(schedule_id)
        self.run_started.emit(run)
        return run
