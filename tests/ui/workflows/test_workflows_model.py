"""The workflow table model and its filter proxy."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester

from skyvern_desktop.api.models import Workflow, WorkflowRun
from skyvern_desktop.ui.data.workflows_model import (
    SORT_ROLE,
    WORKFLOW_ID_ROLE,
    Column,
    ScheduleCount,
    WorkflowFilterModel,
    WorkflowTableModel,
)
from tests.api.support import workflow_json, workflow_run_json


def wf(i: int, **kw: Any) -> Workflow:
    return Workflow.model_validate(workflow_json(i, **kw))


def ids(proxy: WorkflowFilterModel) -> list[str]:
    return [str(proxy.index(r, 0).data(WORKFLOW_ID_ROLE)) for r in range(proxy.rowCount())]


def test_models_pass_qt_model_tester(qtmodeltester: ModelTester) -> None:
    model = WorkflowTableModel()
    proxy = WorkflowFilterModel(model)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    model.upsert([wf(i, title=f"Title {i}") for i in range(1, 6)])
    model.sort(Column.TITLE, Qt.SortOrder.DescendingOrder)
    proxy.set_text("title 3")
    model.retain({"wpid_1", "wpid_3"})
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)


def test_columns_show_what_a_person_reads() -> None:
    model = WorkflowTableModel()
    model.upsert([wf(1, title="Invoices", description="Gets the\ninvoices")])

    def cell(column: Column) -> object:
        return model.index(0, column).data()

    assert cell(Column.TITLE) == "Invoices"
    assert cell(Column.ID) == "wpid_1"
    assert cell(Column.DESCRIPTION) == "Gets the invoices"
    assert cell(Column.INPUTS) == "1"
    assert cell(Column.LAST_RUN) == "…"  # not known yet, not "never"
    assert cell(Column.SCHEDULES) == "…"
    model.set_last_runs({"wpid_1": None})
    assert cell(Column.LAST_RUN) == "Never run"
    run = WorkflowRun.model_validate(workflow_run_json(status="failed", failure_reason="boom"))
    model.set_last_runs({"wpid_1": run})
    assert str(cell(Column.LAST_RUN)).startswith("Failed · ")
    assert "boom" in model.index(0, Column.LAST_RUN).data(Qt.ItemDataRole.ToolTipRole)
    model.set_schedule_counts({"wpid_1": ScheduleCount(active=2, paused=1)})
    assert cell(Column.SCHEDULES) == "2"
    model.set_schedule_counts({"wpid_1": ScheduleCount(paused=1)})
    assert cell(Column.SCHEDULES) == "1 paused"
    model.set_schedule_counts({})
    assert cell(Column.SCHEDULES) == ""
    model.set_schedule_counts(None)
    assert cell(Column.SCHEDULES) == "—"
    assert "turned off" in model.index(0, Column.SCHEDULES).data(Qt.ItemDataRole.ToolTipRole)


def test_sorting_is_done_by_the_source_and_keeps_persistent_indexes() -> None:
    model = WorkflowTableModel()
    proxy = WorkflowFilterModel(model)
    model.upsert([wf(1, title="beta"), wf(2, title="Alpha"), wf(3, title="gamma")])
    keep = QPersistentModelIndex(model.index(model.row_of("wpid_3") or 0, 0))
    proxy.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    assert ids(proxy) == ["wpid_2", "wpid_1", "wpid_3"]
    proxy.sort(Column.TITLE, Qt.SortOrder.DescendingOrder)
    assert ids(proxy) == ["wpid_3", "wpid_1", "wpid_2"]
    assert keep.data(WORKFLOW_ID_ROLE) == "wpid_3"
    assert keep.row() == 0
    # New rows land in sorted place.
    model.upsert([wf(4, title="delta")])
    assert ids(proxy) == ["wpid_3", "wpid_4", "wpid_1", "wpid_2"]
    assert model.index(0, Column.TITLE).data(SORT_ROLE) == ("gamma", "wpid_3")


def test_filter_words_case_and_server_hits() -> None:
    model = WorkflowTableModel()
    proxy = WorkflowFilterModel(model)
    model.upsert(
        [
            wf(1, title="Download invoices", description="monthly"),
            wf(2, title="Apply to job"),
            wf(3, title="Check prices", description="Competitor INVOICES too"),
        ]
    )
    proxy.set_text("INVOICES")
    assert sorted(ids(proxy)) == ["wpid_1", "wpid_3"]
    proxy.set_text("invoices monthly")
    assert ids(proxy) == ["wpid_1"]
    proxy.set_text("url")  # an input key
    assert len(ids(proxy)) == 3
    proxy.set_text("resume")
    assert ids(proxy) == []
    # The server found wpid_2 for "resume" (say, in an input's description).
    proxy.set_server_hits("resume", ["wpid_2"])
    assert ids(proxy) == ["wpid_2"]
    # Hits for another text do not leak into this one.
    proxy.set_text("resumes")
    assert ids(proxy) == []
    proxy.set_text("")
    assert len(ids(proxy)) == 3


def test_refresh_updates_in_place_and_removes_deleted() -> None:
    model = WorkflowTableModel()
    proxy = WorkflowFilterModel(model)
    model.upsert([wf(1), wf(2), wf(3)])
    keep = QPersistentModelIndex(proxy.mapFromSource(model.index(model.row_of("wpid_2") or 0, 0)))
    inserted: list[int] = []
    model.rowsInserted.connect(lambda *a: inserted.append(1))
    model.upsert([wf(1, title="Renamed"), wf(2), wf(3)])
    assert inserted == []
    assert model.index(model.row_of("wpid_1") or 0, Column.TITLE).data() == "Renamed"
    model.retain({"wpid_2", "wpid_3"})
    assert model.row_of("wpid_1") is None
    assert keep.isValid()
    assert keep.data(WORKFLOW_ID_ROLE) == "wpid_2"
    # A filter computed before a change of rows is recomputed, not reused.
    proxy.set_text("workflow 3")
    assert ids(proxy) == ["wpid_3"]
    model.upsert([wf(7, title="Workflow 3 copy")])
    assert sorted(ids(proxy)) == ["wpid_3", "wpid_7"]
