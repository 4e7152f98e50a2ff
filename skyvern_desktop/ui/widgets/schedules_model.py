"""Schedules as table rows: the Schedules screen lists the organisation's, a workflow's
details panel lists that workflow's. Both show the timing in words and the next run in
the user's local time, and both have the enabled switch."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from ...core.schedules.rules import next_run
from ..format import exact_time
from .table_model import Index, ListTableModel

if TYPE_CHECKING:
    from ...api.models.schedules import ScheduleFields

SCHEDULE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
WPID_ROLE = Qt.ItemDataRole.UserRole + 2


class Column(enum.Enum):
    WORKFLOW = "Workflow"
    NAME = "Name"
    WHEN = "When"
    TIMEZONE = "Timezone"
    NEXT = "Next run (your time)"
    ENABLED = "Enabled"


def schedule_when(schedule: ScheduleFields) -> str:
    # croniter loads when a schedule is first shown, not at start-up
    from ...core.schedules import cron

    return cron.cadence_words(schedule.cron_expression, schedule.interval_seconds, schedule.run_at)


def local_time_text(when: datetime) -> str:
    return when.astimezone().strftime("%a %d %b, %H:%M")


class SchedulesModel(ListTableModel["ScheduleFields"]):
    """``toggle_requested(schedule, enabled)``: the switch was clicked; the row changes
    only once the server has answered (:meth:`replace`)."""

    toggle_requested = Signal(object, bool)

    def __init__(self, columns: tuple[Column, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.headers = tuple(c.value for c in columns)
        self.pending: set[str] = set()
        self._next: dict[str, datetime | None] = {}

    def set_items(self, items: list[ScheduleFields]) -> None:
        """New rows; a switch whose request is still on its way stays busy."""
        self._next = {s.workflow_schedule_id: next_run(s) for s in items}
        self.pending &= {s.workflow_schedule_id for s in items}
        super().set_items(items)

    def refresh_next_runs(self) -> None:
        """A minute has passed: the next runs move on."""
        self._next = {s.workflow_schedule_id: next_run(s) for s in self.items}
        if self.items and Column.NEXT in self.columns:
            col = self.columns.index(Column.NEXT)
            self.dataChanged.emit(self.index(0, col), self.index(len(self.items) - 1, col))

    def row_of(self, schedule_id: str) -> int | None:
        for row, item in enumerate(self.items):
            if item.workflow_schedule_id == schedule_id:
                return row
        return None

    def schedule_at(self, row: int) -> ScheduleFields | None:
        return self.items[row] if 0 <= row < len(self.items) else None

    def replace(self, schedule: ScheduleFields) -> None:
        """Put the server's answer in the row of that schedule (keeping list-only fields
        such as the workflow title)."""
        row = self.row_of(schedule.workflow_schedule_id)
        self.pending.discard(schedule.workflow_schedule_id)
        if row is None:
            return
        current = self.items[row]
        fields = set(type(current).model_fields) & set(type(schedule).model_fields)
        updated = current.model_copy(update={f: getattr(schedule, f) for f in fields})
        updated.next_run = None  # the server's figure from the list is stale now
        self.items[row] = updated
        self._next[schedule.workflow_schedule_id] = next_run(updated)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def set_pending(self, schedule_id: str, pending: bool) -> None:
        if pending:
            self.pending.add(schedule_id)
        else:
            self.pending.discard(schedule_id)
        row = self.row_of(schedule_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    # ------------------------------------------------------------------ Qt model

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid() or self.columns[index.column()] is not Column.ENABLED:
            return base
        schedule = self.items[index.row()]
        if not schedule.can_pause or schedule.workflow_schedule_id in self.pending:
            return base & ~Qt.ItemFlag.ItemIsEnabled
        return base | Qt.ItemFlag.ItemIsUserCheckable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or not index.isValid()
            or self.columns[index.column()] is not Column.ENABLED
        ):
            return False
        schedule = self.items[index.row()]
        if schedule.workflow_schedule_id in self.pending or not schedule.can_pause:
            return False
        wanted = Qt.CheckState(value) == Qt.CheckState.Checked
        if wanted != schedule.enabled:
            self.set_pending(schedule.workflow_schedule_id, True)
            self.toggle_requested.emit(schedule, wanted)
        return False  # the row changes when the server has said yes

    def cell(self, schedule: ScheduleFields, column: int, role: int) -> Any:
        col = self.columns[column]
        sid = schedule.workflow_schedule_id
        if role == SCHEDULE_ID_ROLE:
            return sid
        if role == WPID_ROLE:
            return schedule.workflow_permanent_id
        if col is Column.ENABLED:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if schedule.enabled else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.DisplayRole:
                if sid in self.pending:
                    return "Saving…"
                if schedule.is_one_time:
                    return str(schedule.dispatch_status or "once").capitalize()
                return "On" if schedule.enabled else "Paused"
            if role == Qt.ItemDataRole.ToolTipRole:
                if schedule.is_one_time:
                    return "A one-time schedule cannot be paused."
                return "Click to pause" if schedule.enabled else "Click to resume"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if col is Column.WORKFLOW:
                return schedule.workflow_title or schedule.workflow_permanent_id
            if col is Column.NAME:
                return schedule.name or "—"
            if col is Column.WHEN:
                return schedule_when(schedule)
            if col is Column.TIMEZONE:
                return schedule.timezone
            if col is Column.NEXT:
                if not schedule.enabled:
                    return "Paused"
                when = self._next.get(sid)
                return local_time_text(when) if when else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col is Column.WHEN:
                return schedule.cron_expression or None
            if col is Column.NAME:
                return schedule.description or None
            if col is Column.NEXT and (when := self._next.get(sid)):
                zone_time = when.strftime("%H:%M %Z") if when.tzinfo else ""
                return f"{exact_time(when)}\n{zone_time} in {schedule.timezone}".strip()
        if role == Qt.ItemDataRole.ForegroundRole and col is Column.NEXT and not schedule.enabled:
            return Qt.GlobalColor.gray
        return None
