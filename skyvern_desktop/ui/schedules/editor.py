"""The schedule editor: create, edit or duplicate one schedule of one workflow.

Nothing invalid is sent: the timing is checked by the server's own rule as you type
(``core.cron``), the timezone must be one the server knows, and the inputs go through the
same form as the run launcher. An edit is a full PUT built from the schedule as the server
last sent it, so nothing the form does not show (an interval, a one-time instant) is lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimeZone, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...api.errors import ClientClosedError, OutcomeUnknownError, SkyvernError, ValidationError
from ...core.forms.params import specs_for
from ...core.schedules import cron
from ...core.schedules.requests import find_created
from ...core.schedules.rules import EditorValues, save_body
from ..dialogs import size_to_content
from ..tasks import TaskRunner
from ..widgets.fields import fit_to_lines
from ..widgets.inputs_form import InputsForm
from ..widgets.labels import BANNER_STYLE, error_label
from ..widgets.schedules_model import schedule_when
from .cadence import CadenceEditor

if TYPE_CHECKING:
    from ...api.client import SkyvernClient
    from ...api.models import ScheduleUpsert, ScheduleWithNextRuns, Workflow, WorkflowSchedule


def system_timezone() -> str:
    """The computer's IANA timezone (Qt maps Windows names to IANA ones), else UTC."""
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    return name if cron.timezone_problem(name) is None else "UTC"


def _tz_label(name: str) -> str:
    return name.replace("_", " ")


def firing_text(when: datetime, timezone: str) -> str:
    """One firing, in the schedule's timezone and, when it differs, the user's own."""
    there = f"{when:%a %d %b %Y, %H:%M} {when.tzname() or timezone}"
    local = when.astimezone()
    if local.utcoffset() == when.utcoffset() and local.tzname() == when.tzname():
        return there
    day = "" if local.date() == when.date() else f"{local:%a %d %b} "
    return f"{there} — your time {day}{local:%H:%M} {local.tzname() or ''}".rstrip()


class ScheduleEditor(QDialog):
    """``saved(ScheduleWithNextRuns)`` once the server has stored the schedule."""

    saved = Signal(object)

    def __init__(
        self,
        workflow: Workflow,
        client: SkyvernClient,
        tasks: TaskRunner,
        *,
        schedule: WorkflowSchedule | None = None,
        duplicate: bool = False,
        default_timezone: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleEditor")
        self.workflow = workflow
        self.original = schedule
        self.editing = schedule is not None and not duplicate
        self._client = client
        self._tasks = tasks
        self._prefix = f"schedule-editor.{id(self):x}"
        self.saving = False
        self._detached = False
        self.result_schedule: ScheduleWithNextRuns | None = None
        verb = "Edit schedule" if self.editing else "New schedule"
        self.setWindowTitle(f"{verb} — {workflow.title}")

        header = QLabel(
            f"<h2 style='margin:0'>{verb}</h2>"
            f"<span>for <b>{escape(workflow.title)}</b></span> "
            f"<span style='color:gray'>{workflow.workflow_permanent_id}</span>"
        )
        header.setObjectName("scheduleHeader")
        header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.name = QLineEdit()
        self.name.setObjectName("scheduleName")
        self.name.setPlaceholderText("e.g. Weekday morning check")
        self.name.setAccessibleName("Schedule name")
        self.description = QPlainTextEdit()
        self.description.setObjectName("scheduleDescription")
        self.description.setAccessibleName("Schedule description")
        self.description.setTabChangesFocus(True)
        fit_to_lines(self.description, 3, 8)
        self.enabled = QCheckBox("Enabled — runs on its schedule")
        self.enabled.setObjectName("scheduleEnabled")
        self.enabled.setChecked(True)

        self.cadence = CadenceEditor()
        self.fixed_cadence = QLabel()
        self.fixed_cadence.setObjectName("scheduleFixedCadence")
        self.fixed_cadence.setWordWrap(True)
        self.timezone = QComboBox()
        self.timezone.setObjectName("scheduleTimezone")
        self.timezone.setAccessibleName("Timezone")
        self.timezone.setEditable(True)
        self.timezone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # Shown with spaces ("America/New York") so typing "new york" finds it; IANA names
        # never contain spaces, so the name sent is the text with spaces made underscores.
        for name in cron.timezone_names():
            self.timezone.addItem(_tz_label(name), name)
        self.timezone.setMaxVisibleItems(20)
        completer = self.timezone.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        line = self.timezone.lineEdit()
        assert line is not None
        line.setPlaceholderText("Type to search, e.g. New York or Berlin")
        self.timezone_error = error_label("scheduleTimezoneError")
        line.editingFinished.connect(self._check_timezone)

        self.words = QLabel()
        self.words.setObjectName("scheduleWords")
        self.words.setWordWrap(True)
        font = self.words.font()
        font.setBold(True)
        self.words.setFont(font)
        self.next_runs = QLabel()
        self.next_runs.setObjectName("scheduleNextRuns")
        self.next_runs.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_runs.setWordWrap(True)
        preview = QGroupBox("Preview")
        preview.setObjectName("schedulePreview")
        preview_layout = QVBoxLayout(preview)
        preview_layout.addWidget(self.words)
        preview_layout.addWidget(self.next_runs)

        when_box = QGroupBox("When")
        when_form = QFormLayout(when_box)
        when_form.addRow(self.cadence)
        when_form.addRow(self.fixed_cadence)
        when_form.addRow("Timezone", self.timezone)
        when_form.addRow("", self.timezone_error)

        about = QFormLayout()
        about.addRow("Name", self.name)
        about.addRow("Description", self.description)
        about.addRow("", self.enabled)

        self.specs = specs_for(workflow.workflow_definition.parameters)
        self.inputs = InputsForm(self.specs, client, self._spawn, object_prefix="schedule")

        body = QWidget()
        form = QVBoxLayout(body)
        form.addLayout(about)
        form.addWidget(when_box)
        form.addWidget(preview)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        form.addWidget(rule)
        form.addWidget(self.inputs)
        form.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("scheduleScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        self.banner = QLabel()
        self.banner.setObjectName("scheduleBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("scheduleCancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save changes" if self.editing else "Create schedule")
        self.save_button.setObjectName("scheduleSave")
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save (Ctrl+Enter)")
        self.save_button.clicked.connect(self.request_save)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(key), self).activated.connect(self.request_save)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)

        self.cadence.changed.connect(self._update_preview)
        self.timezone.currentTextChanged.connect(self._on_timezone)
        self._fill(schedule, duplicate, default_timezone or system_timezone())
        size_to_content(self, 780, 820)
        self._spawn("lists", self._load_lists())
        self.finished.connect(self._stop_tasks)

    # ------------------------------------------------------------------ filling

    def type_cron(self, text: str) -> None:
        """Put ``text`` in the cron field as if typed there (``--screenshot --cron``)."""
        self.cadence.raw.setText(text)
        self.cadence.raw.textEdited.emit(text)

    def timezone_name(self) -> str:
        """The IANA name in the timezone field."""
        return self.timezone.currentText().strip().replace(" ", "_")

    def set_timezone(self, name: str) -> None:
        index = self.timezone.findData(name)
        if index >= 0:
            self.timezone.setCurrentIndex(index)
        else:
            self.timezone.setEditText(_tz_label(name))

    def _fill(self, schedule: WorkflowSchedule | None, duplicate: bool, timezone: str) -> None:
        self.fixed_cadence.hide()
        if schedule is None:
            self.set_timezone(timezone)
            self._update_preview()
            return
        name = schedule.name or ""
        self.name.setText(f"Copy of {name}".strip() if duplicate and name else name)
        self.description.setPlainText(schedule.description or "")
        self.enabled.setChecked(schedule.enabled)
        self.enabled.setEnabled(schedule.can_pause)
        if not schedule.can_pause:
            self.enabled.setToolTip("A one-time schedule cannot be paused.")
        self.set_timezone(schedule.timezone)
        if schedule.cron_expression and not schedule.is_one_time and not schedule.is_interval:
            self.cadence.set_expression(schedule.cron_expression)
        else:
            self.cadence.hide()
            self.fixed_cadence.setText(
                f"<b>{escape(schedule_when(schedule))}</b><br>This timing was set outside this"
                " app; it is kept as it is. Name, description, inputs and the timezone can be"
                " changed here."
            )
            self.fixed_cadence.show()
        self.inputs.set_values(schedule.parameters or {})
        self._update_preview()

    @property
    def busy(self) -> bool:
        """A save is on its way; the editor stays open until it is answered."""
        return self.saving

    @property
    def is_cron(self) -> bool:
        return not self.cadence.isHidden()

    # ------------------------------------------------------------------ preview

    def _on_timezone(self, _text: str) -> None:
        # While searching, the text is rarely a whole name: the verdict waits for the
        # field to be left (or for Save); a name that became right clears the old one.
        if self.timezone_problem() is None:
            self.timezone_error.hide()
        self._update_preview()

    def timezone_problem(self) -> str | None:
        name = self.timezone_name()
        original = self.original.timezone if self.original is not None else None
        if name and name != original and name not in cron.timezone_names():
            return f"“{name}” is not a timezone name; choose one from the list."
        return cron.timezone_problem(name)

    def _check_timezone(self) -> str | None:
        problem = self.timezone_problem()
        self.timezone_error.setText(problem or "")
        self.timezone_error.setVisible(bool(problem))
        return problem

    def _update_preview(self, *_: object) -> None:
        zone = self.timezone_name()
        if not self.is_cron:
            original = self.original
            firings: list[datetime] = []
            if original is not None:
                self.words.setText(schedule_when(original))
                if original.interval_seconds and original.first_fire_at is not None:
                    firings = cron.interval_firings(
                        original.first_fire_at, original.interval_seconds, 5
                    )
                elif original.run_at is not None:
                    firings = [original.run_at]
            self._show_firings(firings, zone)
            return
        expression = self.cadence.expression()
        problem = self.cadence.problem()
        if problem:
            self.words.setText("—")
            self.next_runs.setText("Fix the schedule above to see when it runs.")
            return
        self.words.setText(cron.describe(expression))
        if self.timezone_problem():
            self.next_runs.setText("Choose a timezone to see when it runs.")
            return
        self._show_firings(cron.next_firings(expression, zone, 5), zone)

    def _show_firings(self, firings: list[datetime], zone: str) -> None:
        if not firings or self.timezone_problem():
            self.next_runs.setText("")
            return
        local = [f.astimezone(ZoneInfo(zone)) for f in firings]
        items = "".join(f"<li>{escape(firing_text(f, zone))}</li>" for f in local)
        label = "Next run" if len(local) == 1 else "Next runs"
        self.next_runs.setText(f"{label}:<ul style='margin:0'>{items}</ul>")

    # ------------------------------------------------------------------ saving

    async def _load_lists(self) -> None:
        """The credential pickers; a list that cannot load leaves them taking a typed id."""
        with contextlib.suppress(SkyvernError):
            await self.inputs.load_credentials()

    @property
    def task_prefix(self) -> str:
        """The names of this editor's own tasks start with this."""
        return self._prefix

    def _spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> object:
        return self._tasks.spawn(f"{self._prefix}.{name}", coro)

    def _stop_tasks(self) -> None:
        # Closing: no more checks on focus changes while the widgets are torn down.
        self.inputs.detach()
        line = self.timezone.lineEdit()
        if line is not None and not self._detached:
            line.editingFinished.disconnect(self._check_timezone)
        self._detached = True
        self._tasks.cancel(f"{self._prefix}.lists")
        for name in self.inputs.upload_keys():
            self._tasks.cancel(f"{self._prefix}.{name}")

    def reject(self) -> None:
        if self.saving:
            self._show_banner("Saving… the editor closes once the server has answered.")
            return
        super().reject()

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def build(self) -> ScheduleUpsert | None:
        """The full request body (core.schedules.save_body), or ``None`` after marking every
        problem where it is."""
        problems = False
        if self.is_cron and (problem := self.cadence.problem()):
            self.cadence.show_problem(problem)
            problems = True
        if self._check_timezone():
            problems = True
        values = self.inputs.values()
        if values is None:
            problems = True
        if problems or values is None:
            return None
        return save_body(
            self.original,
            self.editing,
            EditorValues(
                cron_expression=self.cadence.expression() if self.is_cron else None,
                timezone=self.timezone_name(),
                enabled=self.enabled.isChecked(),
                name=self.name.text(),
                description=self.description.toPlainText(),
                values=values,
                texts=self.inputs.texts(),
                specs=self.specs,
            ),
        )

    def request_save(self) -> None:
        """The Save button and Ctrl+Enter: one request per press."""
        if self.saving:
            return
        self.saving = True
        self.save_button.setEnabled(False)
        self._spawn("save", self.save())

    async def save(self) -> ScheduleWithNextRuns | None:
        self.saving = True
        self.save_button.setEnabled(False)
        try:
            if busy := self.inputs.busy_field():
                self._show_banner(f"Wait for the upload of {busy.label} to finish.")
                return None
            body = self.build()
            if body is None:
                self._show_banner("Some fields need fixing; they are marked above.")
                return None
            self._show_banner("")
            self.save_button.setText("Saving…")
            wpid = self.workflow.workflow_permanent_id
            try:
                if self.editing and self.original is not None:
                    result = await self._client.update_schedule(
                        wpid, self.original.workflow_schedule_id, body
                    )
                else:
                    result = await self._client.create_schedule(wpid, body)
            except ValidationError as exc:
                self._show_refusal(exc, body.parameters or {})
                return None
            except OutcomeUnknownError as exc:
                checked, found = await find_created(self._client, wpid, body)
                if found is None:
                    self._show_banner(
                        f"{exc} It was not created: nothing like it is on the server now, so"
                        " Save can be pressed again."
                        if checked
                        else f"{exc} Whether it was created cannot be checked now: look in"
                        " the Schedules list before pressing Save again."
                    )
                    return None
                result = found
            except ClientClosedError as exc:  # the connection was switched
                self._show_banner(
                    f"The connection changed while the editor was open ({exc}). Close it and"
                    " open it again; what you typed here is not saved."
                )
                return None
            except SkyvernError as exc:
                self._show_banner(f"The schedule was not saved: {exc}")
                return None
        finally:
            self.saving = False
            self.save_button.setEnabled(True)
            self.save_button.setText("Save changes" if self.editing else "Create schedule")
        self.result_schedule = result
        self.saved.emit(result)
        self.accept()
        return result

    def _show_refusal(self, exc: ValidationError, sent: dict[str, Any]) -> None:
        message = exc.server_message or str(exc)
        lowered = message.lower()
        if "cron" in lowered and self.is_cron:
            self.cadence.show_problem(message)
        elif "timezone" in lowered:
            self.timezone_error.setText(message)
            self.timezone_error.show()
        else:
            self.inputs.show_refusal(exc, sent)
        self._show_banner(f"The server refused the schedule: {message}")
