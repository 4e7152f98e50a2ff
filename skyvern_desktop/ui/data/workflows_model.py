"""The workflow table: a ``QAbstractTableModel`` over plain rows, and its filtering proxy.

Sorting is done by the source model on a Python list (one ``sort`` and a
``layoutChanged``), and filtering by the proxy from a precomputed list of flags, so
neither calls back into Python once per comparison. With 10,000 rows a keystroke
re-filters in a few milliseconds (see ``benchmarks/``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from ...core.storage.workflow_lists import ListedWorkflow
from ..format import exact_time, relative_time, status_color, status_label

if TYPE_CHECKING:
    from ...api.models import Workflow, WorkflowRun

Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    TITLE = 0
    ID = 1
    DESCRIPTION = 2
    INPUTS = 3
    LAST_RUN = 4
    SCHEDULES = 5
    MODIFIED = 6


HEADERS = {
    Column.TITLE: "Title",
    Column.ID: "Workflow ID",
    Column.DESCRIPTION: "Description",
    Column.INPUTS: "Inputs",
    Column.LAST_RUN: "Last run",
    Column.SCHEDULES: "Schedules",
    Column.MODIFIED: "Modified",
}

WORKFLOW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMN_COUNT = len(Column)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_OTHER_ROLES = frozenset(
    {
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        WORKFLOW_ID_ROLE,
        SORT_ROLE,
    }
)


@dataclass(frozen=True, slots=True)
class ScheduleCount:
    active: int = 0
    paused: int = 0

    @property
    def total(self) -> int:
        return self.active + self.paused


@dataclass(slots=True)
class WorkflowRow:
    workflow: Workflow | ListedWorkflow  # ListedWorkflow: from the kept list, until fresh
    last_run: WorkflowRun | None = None
    last_run_known: bool = False
    schedules: ScheduleCount | None = None
    haystack: str = field(default="", init=False)
    cells: tuple[str, ...] | None = field(default=None, init=False)
    """The row's display texts, built on first paint and dropped whenever the row changes."""

    def __post_init__(self) -> None:
        self.refresh_haystack()

    def refresh_haystack(self) -> None:
        self.cells = None
        wf = self.workflow
        parts = [wf.title, wf.workflow_permanent_id, wf.description or ""]
        parts += [p.key for p in wf.inputs]
        self.haystack = " ".join(parts).casefold()

    @property
    def wpid(self) -> str:
        return self.workflow.workflow_permanent_id


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


class WorkflowTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[WorkflowRow] = []
        self._index: dict[str, int] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.generation = 0  # bumped on every change of row order or count
        self.schedules_supported = True

    # ---------------------------------------------------------------- Qt API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every visible cell and role on each paint: answer the common
        # cases before doing any work.
        if role == _DISPLAY:
            if not index.isValid():
                return None
            row = self._rows[index.row()]
            cells = row.cells
            if cells is None:
                cells = row.cells = tuple(self._display(row, c) for c in Column)
            return cells[index.column()]
        if role not in _OTHER_ROLES or not index.isValid():
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == WORKFLOW_ID_ROLE:
            return row.wpid
        if role == SORT_ROLE:
            return _sort_key(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col is Column.LAST_RUN and row.last_run:
                return status_color(str(row.last_run.status))
            return None
        if col in (Column.INPUTS, Column.SCHEDULES):  # TextAlignmentRole
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _display(self, row: WorkflowRow, col: Column) -> str:
        wf = row.workflow
        if col is Column.TITLE:
            return wf.title
        if col is Column.ID:
            return wf.workflow_permanent_id
        if col is Column.DESCRIPTION:
            return _one_line(wf.description)
        if col is Column.INPUTS:
            return str(len(wf.inputs))
        if col is Column.LAST_RUN:
            if not row.last_run_known:
                return "…"
            if row.last_run is None:
                return "Never run"
            run = row.last_run
            return f"{status_label(str(run.status))} · {relative_time(run.created_at)}"
        if col is Column.SCHEDULES:
            if not self.schedules_supported:
                return "—"
            if row.schedules is None:
                return "…"
            if row.schedules.total == 0:
                return ""
            if row.schedules.active == 0:
                return f"{row.schedules.paused} paused"
            return str(row.schedules.active)
        return relative_time(wf.modified_at)

    def _tooltip(self, row: WorkflowRow, col: Column) -> str | None:
        wf = row.workflow
        if col is Column.DESCRIPTION:
            return wf.description or None
        if col is Column.LAST_RUN and row.last_run is not None:
            run = row.last_run
            text = f"{status_label(str(run.status))}, started {exact_time(run.created_at)}"
            text += f"\n{run.workflow_run_id}"
            if run.failure_reason:
                text += f"\n{run.failure_reason}"
            return text
        if col is Column.SCHEDULES:
            if not self.schedules_supported:
                return "This server has schedules turned off."
            if row.schedules is not None and row.schedules.total:
                return f"{row.schedules.active} active, {row.schedules.paused} paused"
        if col is Column.MODIFIED:
            return exact_time(wf.modified_at) or None
        if col is Column.INPUTS and wf.inputs:
            return "\n".join(
                f"{p.key} ({p.workflow_parameter_type}){' — required' if p.is_required else ''}"
                for p in wf.inputs
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self._apply_sort()

    def _apply_sort(self) -> None:
        if self._sort is None:
            return
        column, order = self._sort
        col = Column(column)
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_ids = [self._rows[i.row()].wpid for i in old_persistent]
        self._rows.sort(
            key=lambda r: _sort_key(r, col), reverse=order == Qt.SortOrder.DescendingOrder
        )
        self._reindex()
        self.changePersistentIndexList(
            old_persistent,
            [
                self.index(self._index[w], i.column())
                for w, i in zip(old_ids, old_persistent, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # ---------------------------------------------------------------- our API

    @property
    def rows(self) -> list[WorkflowRow]:
        return self._rows

    def row_of(self, wpid: str) -> int | None:
        return self._index.get(wpid)

    def workflow(self, wpid: str) -> Workflow | None:
        """The server's workflow (``None`` while the row shows only the kept list's)."""
        i = self._index.get(wpid)
        if i is None:
            return None
        workflow = self._rows[i].workflow
        return None if isinstance(workflow, ListedWorkflow) else workflow

    def title(self, wpid: str) -> str | None:
        i = self._index.get(wpid)
        return self._rows[i].workflow.title if i is not None else None

    @property
    def kept_rows(self) -> int:
        """How many rows show the kept list's workflow, not the server's yet."""
        return sum(isinstance(r.workflow, ListedWorkflow) for r in self._rows)

    def _reindex(self) -> None:
        self._index = {r.wpid: i for i, r in enumerate(self._rows)}
        self.generation += 1

    def upsert(self, workflows: Iterable[Workflow | ListedWorkflow]) -> None:
        """Update the rows of known workflows in place; append the new ones."""
        new: dict[str, WorkflowRow] = {}
        for wf in workflows:
            wpid = wf.workflow_permanent_id
            i = self._index.get(wpid)
            if i is None:
                new[wpid] = WorkflowRow(wf)
                continue
            row = self._rows[i]
            if row.workflow != wf:
                row.workflow = wf
                row.refresh_haystack()
                self.generation += 1
                self.dataChanged.emit(self.index(i, 0), self.index(i, COLUMN_COUNT - 1))
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new.values())
            self._reindex()
            self.endInsertRows()
            if self._sort is not None:
                self._apply_sort()

    def retain(self, wpids: set[str]) -> None:
        """Remove the rows of workflows not in ``wpids`` (deleted on the server)."""
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].wpid not in wpids:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self._reindex()
                self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._reindex()
        self.endResetModel()

    def set_last_runs(self, runs: dict[str, WorkflowRun | None]) -> None:
        """Last run per workflow id (``None`` = known to have none)."""
        for wpid, run in runs.items():
            i = self._index.get(wpid)
            if i is None:
                continue
            row = self._rows[i]
            row.last_run, row.last_run_known, row.cells = run, True, None
        self._column_changed(Column.LAST_RUN)

    def set_schedule_counts(self, counts: dict[str, ScheduleCount] | None) -> None:
        """Schedules per workflow id; ``None`` when the server has schedules turned off."""
        self.schedules_supported = counts is not None
        for row in self._rows:
            row.schedules = (counts or {}).get(row.wpid, ScheduleCount())
            row.cells = None
        self._column_changed(Column.SCHEDULES)

    def _column_changed(self, col: Column) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))
        if self._sort is not None and self._sort[0] == col:
            self._apply_sort()


def _sort_key(row: WorkflowRow, col: Column) -> tuple[Any, ...]:
    wf = row.workflow
    if col is Column.TITLE:
        return (wf.title.casefold(), wf.workflow_permanent_id)
    if col is Column.ID:
        return (wf.workflow_permanent_id,)
    if col is Column.DESCRIPTION:
        return ((wf.description or "").casefold(),)
    if col is Column.INPUTS:
        return (len(wf.inputs), wf.title.casefold())
    if col is Column.LAST_RUN:
        run = row.last_run
        return (run.created_at.timestamp() if run else float("-inf"), wf.title.casefold())
    if col is Column.SCHEDULES:
        s = row.schedules or ScheduleCount()
        return (s.active, s.paused, wf.title.casefold())
    return (wf.modified_at.timestamp() if wf.modified_at else float("-inf"),)


class WorkflowFilterModel(QSortFilterProxyModel):
    """Filters rows by words typed in the search box, plus the server's own search hits.

    Every word must appear (case-insensitively) in the title, id, description or input
    keys; a workflow the server's ``search_key`` found (which also looks at parameter
    descriptions and defaults) is shown too. Sorting is delegated to the source model.
    """

    def __init__(self, source: WorkflowTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)
        self._words: list[str] = []
        self._server_text = ""
        self._server_hits: frozenset[str] = frozenset()
        self._flags: list[bool] | None = None
        self._flags_generation = -1

    @property
    def text(self) -> str:
        return " ".join(self._words)

    def set_text(self, text: str) -> None:
        words = text.casefold().split()
        if words == self._words:
            return
        self._words = words
        self._refilter()

    def set_server_hits(self, text: str, wpids: Iterable[str]) -> None:
        """Workflows the server found for ``text``; ignored once the box says something else."""
        self._server_text = " ".join(text.casefold().split())
        self._server_hits = frozenset(wpids)
        self._refilter()

    def _refilter(self) -> None:
        self._flags = None if not self._words else self._compute()
        self._flags_generation = self._source.generation
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _compute(self) -> list[bool]:
        # One pass per word over plain strings: ~1 ms for 10,000 rows.
        rows = self._source.rows
        haystacks = [r.haystack for r in rows]
        flags = [True] * len(rows)
        for word in self._words:
            flags = [f and word in h for f, h in zip(flags, haystacks, strict=True)]
        hits = self._server_hits if self._server_text == " ".join(self._words) else frozenset()
        if hits:
            flags = [f or r.wpid in hits for f, r in zip(flags, rows, strict=True)]
        return flags

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        # Called once per row on every keystroke: keep it to a lookup.
        flags = self._flags
        if flags is None or self._flags_generation != self._source.generation:
            if not self._words:
                return True
            flags = self._flags = self._compute()
            self._flags_generation = self._source.generation
        return flags[source_row]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)
