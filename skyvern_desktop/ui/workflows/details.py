"""The details panel: the selected workflow's description and each of its inputs."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..format import exact_time
from ..widgets.schedules_model import Column, SchedulesModel
from ..widgets.table_model import ListTableModel

if TYPE_CHECKING:
    from ...api.models import Workflow, WorkflowParameter

_INPUT_HEADERS = ("Input", "Type", "Default", "Required", "Description")


def _show_default(param: WorkflowParameter) -> str:
    value = param.default_value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class InputsModel(ListTableModel["WorkflowParameter"]):
    headers = _INPUT_HEADERS

    def set_inputs(self, params: list[WorkflowParameter]) -> None:
        self.set_items(params)

    def cell(self, p: WorkflowParameter, column: int, role: int) -> Any:
        values = (
            p.key,
            str(p.workflow_parameter_type or ""),
            _show_default(p),
            "Required" if p.is_required else "Optional",
            p.description or "",
        )
        if role == Qt.ItemDataRole.DisplayRole:
            return " ".join(values[column].split())
        if role == Qt.ItemDataRole.ToolTipRole:
            return values[column] or None
        return None


class WorkflowDetails(QWidget):
    """Shows one workflow. ``run_clicked`` asks the main window to open the launcher."""

    run_clicked = Signal(str)
    rerun_clicked = Signal(str, str)  # workflow_permanent_id, run_id
    batch_clicked = Signal(str)  # workflow_permanent_id: run it once per row of a sheet
    workflow_shown = Signal(object, object)  # workflow_permanent_id | None, title | None
    new_schedule_clicked = Signal(str)  # workflow_permanent_id
    edit_schedule_clicked = Signal(str, str)  # workflow_permanent_id, schedule_id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workflowDetails")
        self._workflow: Workflow | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)

        header = QHBoxLayout()
        self._title = QLabel()
        self._title.setObjectName("workflowDetailsTitle")
        self._title.setWordWrap(True)
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title.setFont(font)
        header.addWidget(self._title, 1)
        self._run = QPushButton("Run…")
        self._run.setObjectName("workflowRunButton")
        self._run.setAccessibleName("Run workflow")
        self._run.setEnabled(False)
        self._run.clicked.connect(self._on_run)
        self._rerun = QPushButton("Rerun last…")
        self._rerun.setObjectName("workflowRerunButton")
        self._rerun.setAccessibleName("Rerun the last run with its inputs")
        self._rerun.setToolTip("Open the launcher filled in from this workflow's last run")
        self._rerun.setEnabled(False)
        self._rerun.clicked.connect(self._on_rerun)
        self._batch = QPushButton("Run a spreadsheet…")
        self._batch.setObjectName("workflowBatchButton")
        self._batch.setAccessibleName("Run this workflow once for every row of a spreadsheet")
        self._batch.setToolTip("Run this workflow once for every row of a spreadsheet")
        self._batch.setEnabled(False)
        self._batch.clicked.connect(self._on_batch)
        header.addWidget(self._batch, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self._rerun, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self._run, 0, Qt.AlignmentFlag.AlignTop)
        self._last_run_id: str | None = None
        layout.addLayout(header)

        self._meta = QLabel()
        self._meta.setObjectName("workflowDetailsMeta")
        self._meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._meta.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self._meta)

        self._description = QLabel()
        self._description.setObjectName("workflowDetailsDescription")
        self._description.setWordWrap(True)
        self._description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self._description)

        self._inputs_label = QLabel()
        self._inputs_label.setObjectName("workflowDetailsInputsLabel")
        layout.addWidget(self._inputs_label)
        self._inputs_model = InputsModel()
        self._inputs = QTableView()
        self._inputs.setObjectName("workflowInputs")
        self._inputs.setAccessibleName("Workflow inputs")
        self._inputs.setModel(self._inputs_model)
        self._inputs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._inputs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._inputs.verticalHeader().hide()
        self._inputs.setWordWrap(False)
        hh = self._inputs.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self._inputs, 1)

        schedules_header = QHBoxLayout()
        self._schedules_label = QLabel()
        self._schedules_label.setObjectName("workflowSchedulesLabel")
        schedules_header.addWidget(self._schedules_label, 1)
        self._edit_schedule = QPushButton("Edit…")
        self._edit_schedule.setObjectName("workflowEditSchedule")
        self._edit_schedule.setAccessibleName("Edit the selected schedule")
        self._edit_schedule.clicked.connect(self._on_edit_schedule)
        self._new_schedule = QPushButton("New schedule…")
        self._new_schedule.setObjectName("workflowNewSchedule")
        self._new_schedule.setAccessibleName("Schedule this workflow")
        self._new_schedule.clicked.connect(self._on_new_schedule)
        schedules_header.addWidget(self._edit_schedule)
        schedules_header.addWidget(self._new_schedule)
        layout.addLayout(schedules_header)
        self.schedules_model = SchedulesModel(
            (Column.NAME, Column.WHEN, Column.TIMEZONE, Column.NEXT, Column.ENABLED), self
        )
        self._schedules = QTableView()
        self._schedules.setObjectName("workflowSchedules")
        self._schedules.setAccessibleName("Schedules of this workflow")
        self._schedules.setModel(self.schedules_model)
        self._schedules.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._schedules.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._schedules.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._schedules.verticalHeader().hide()
        self._schedules.setWordWrap(False)
        self._schedules.horizontalHeader().setStretchLastSection(True)
        self._schedules.doubleClicked.connect(self._on_schedule_double_click)
        self._schedules.selectionModel().selectionChanged.connect(lambda *_: self._update_run())
        layout.addWidget(self._schedules, 1)
        self._schedules_state = "loading"
        self._launch_available = False
        self.show_workflow(None)

    @property
    def workflow(self) -> Workflow | None:
        return self._workflow

    @property
    def inputs_model(self) -> InputsModel:
        return self._inputs_model

    def set_launch_available(self, available: bool) -> None:
        self._launch_available = available
        self._update_run()

    def _update_run(self) -> None:
        self._run.setEnabled(self._launch_available and self._workflow is not None)
        self._batch.setEnabled(self._launch_available and self._workflow is not None)
        self._rerun.setEnabled(
            self._launch_available and self._workflow is not None and self._last_run_id is not None
        )
        has_workflow = self._launch_available and self._workflow is not None
        self._new_schedule.setEnabled(has_workflow and self._schedules_state != "off")
        self._edit_schedule.setEnabled(
            has_workflow and bool(self._schedules.selectionModel().selectedRows())
        )
        self._run.setToolTip(
            "Fill in this workflow's inputs and start a run (Enter)"
            if self._launch_available
            else "Connect to a Skyvern server to start runs."
        )

    def _on_run(self) -> None:
        if self._workflow is not None and self._launch_available:
            self.run_clicked.emit(self._workflow.workflow_permanent_id)

    def _on_batch(self) -> None:
        if self._workflow is not None and self._launch_available:
            self.batch_clicked.emit(self._workflow.workflow_permanent_id)

    def _on_rerun(self) -> None:
        if self._workflow is not None and self._last_run_id and self._launch_available:
            self.rerun_clicked.emit(self._workflow.workflow_permanent_id, self._last_run_id)

    def _on_new_schedule(self) -> None:
        if self._workflow is not None and self._launch_available:
            self.new_schedule_clicked.emit(self._workflow.workflow_permanent_id)

    def _on_schedule_double_click(self, index: QModelIndex) -> None:
        columns = self.schedules_model.columns
        if index.isValid() and columns[index.column()] is not Column.ENABLED:  # not the switch
            self._on_edit_schedule()

    def _on_edit_schedule(self) -> None:
        rows = self._schedules.selectionModel().selectedRows()
        schedule = self.schedules_model.schedule_at(rows[0].row()) if rows else None
        if schedule is not None and self._launch_available:
            self.edit_schedule_clicked.emit(
                schedule.workflow_permanent_id, schedule.workflow_schedule_id
            )

    def show_schedules(self, schedules: list[Any] | None, error: str | None = None) -> None:
        """This workflow's schedules; ``None`` while loading. ``error`` "off" means the
        server has schedules turned off."""
        self._schedules_state = (
            "off" if error == "off" else ("loading" if schedules is None else "ok")
        )
        items = schedules or []
        self.schedules_model.set_items(items)
        if error == "off":
            text = "<b>Schedules</b> — turned off on this server"
        elif error:
            text = f"<b>Schedules</b> — could not load: {error}"
        elif schedules is None:
            text = "<b>Schedules</b> — loading…"
        elif not items:
            text = "<b>Schedules</b> — none. “New schedule…” runs it on its own."
        else:
            active = sum(s.enabled for s in items)
            text = f"<b>Schedules</b> — {len(items)} ({active} active)"
        self._schedules_label.setText(text)
        self._schedules.setVisible(bool(items))
        if items:
            self._schedules.resizeColumnsToContents()
            self._schedules.selectRow(0)
        self._update_run()

    def show_schedule_problem(self, message: str) -> None:
        """A switch that could not be flipped: said above the list, which stays as it is."""
        self._schedules_label.setText(
            f"<b>Schedules</b> — <span style='color:#cf222e'>{escape(message)}</span>"
        )

    def show_kept(self, wpid: str, title: str, description: str | None) -> None:
        """A row of the list kept from the last start: what it shows, while the server's
        workflow (its inputs, its schedules) is on its way. Nothing can be run from it yet."""
        self.show_workflow(None)
        self._title.setText(title)
        self._meta.setText(wpid)
        self._description.setText(
            f"{description or ''}\n\nIts inputs and schedules show once the server answers.".strip()
        )

    def show_workflow(self, workflow: Workflow | None, last_run_id: str | None = None) -> None:
        self._workflow = workflow
        self._last_run_id = last_run_id
        self._update_run()
        self.workflow_shown.emit(
            workflow.workflow_permanent_id if workflow else None,
            workflow.title if workflow else None,
        )
        if workflow is None:
            self._title.setText("No workflow selected")
            self._meta.setText("")
            self._description.setText("Select a workflow to see what it does and what it needs.")
            self._inputs_label.setText("")
            self._inputs.hide()
            self._inputs_model.set_inputs([])
            self._schedules_label.setText("")
            self.schedules_model.set_items([])
            self._schedules.hide()
            return
        self._title.setText(workflow.title)
        meta = [workflow.workflow_permanent_id]
        if workflow.version is not None:
            meta.append(f"version {workflow.version}")
        if workflow.modified_at:
            meta.append(f"modified {exact_time(workflow.modified_at)}")
        self._meta.setText(" · ".join(meta))
        self._description.setText(workflow.description or "This workflow has no description.")
        inputs = workflow.inputs
        required = sum(p.is_required for p in inputs)
        if inputs:
            self._inputs_label.setText(f"<b>Inputs</b> — {len(inputs)} ({required} required)")
            self._inputs.show()
        else:
            self._inputs_label.setText("<b>Inputs</b> — none: this workflow runs as it is.")
            self._inputs.hide()
        self._inputs_model.set_inputs(inputs)
        self._inputs.resizeColumnsToContents()
        for col, cap in ((0, 200), (2, 220)):
            if self._inputs.columnWidth(col) > cap:
                self._inputs.setColumnWidth(col, cap)
