"""The schedules table model without a server: the switch, and what a reload keeps."""

from __future__ import annotations

from PySide6.QtCore import Qt

from skyvern_desktop.api.models import OrganizationScheduleItem
from skyvern_desktop.ui.widgets.schedules_model import Column, SchedulesModel
from tests.api.support import schedule_json


def _item(sid: str, **overrides: object) -> OrganizationScheduleItem:
    data = schedule_json(sid, workflow_title="Report", **overrides)
    return OrganizationScheduleItem.model_validate(data)


def test_a_switch_on_its_way_stays_busy_across_a_reload() -> None:
    model = SchedulesModel((Column.NAME, Column.ENABLED))
    asked: list[tuple[str, bool]] = []
    model.toggle_requested.connect(lambda s, on: asked.append((s.workflow_schedule_id, on)))
    model.set_items([_item("wfs_1"), _item("wfs_2")])
    switch = model.index(0, 1)
    assert model.flags(switch) & Qt.ItemFlag.ItemIsUserCheckable
    model.setData(switch, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert asked == [("wfs_1", False)]
    assert switch.data() == "Saving…"
    # The minute refresh arrives while the request is on its way: still busy.
    model.set_items([_item("wfs_1"), _item("wfs_2")])
    switch = model.index(0, 1)
    assert not model.flags(switch) & Qt.ItemFlag.ItemIsEnabled
    model.setData(switch, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert asked == [("wfs_1", False)]  # no second request
    # The answer: the row shows the server's state, and the switch works again.
    model.replace(OrganizationScheduleItem.model_validate(schedule_json("wfs_1", enabled=False,
                  workflow_title="Report")))  # fmt: skip
    assert model.index(0, 1).data() == "Paused"
    assert model.index(0, 0).data() == "—"  # no name; the row kept its list-only fields
    assert getattr(model.items[0], "workflow_title", None) == "Report"
    assert model.flags(model.index(0, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    # Gone from the list: forgotten.
    model.set_pending("wfs_2", True)
    model.set_items([_item("wfs_1")])
    assert model.pending == set()


def test_one_time_schedules_have_no_switch() -> None:
    model = SchedulesModel((Column.NAME, Column.WHEN, Column.NEXT, Column.ENABLED))
    model.set_items(
        [
            _item(
                "wfs_1",
                cron_expression=None,
                run_at="2099-01-01T10:00:00Z",
                dispatch_status="pending",
            )
        ]
    )
    switch = model.index(0, 3)
    assert not model.flags(switch) & Qt.ItemFlag.ItemIsEnabled
    assert switch.data() == "Pending"
    assert str(model.index(0, 1).data()).startswith("Once, on ")
    assert model.index(0, 2).data()  # its next run is its one instant
