"""The schedules manager against the real server: every action, through the widgets.

Widgets are found by objectName. The server is the real one (SQLite, loopback); its
scheduler looks for due schedules every 2 s in tests (tests/realserver.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTime
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTimeEdit,
)
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, NotFoundError, SkyvernClient
from skyvern_desktop.api.models import RunStatus, ScheduleUpsert, WorkflowRun, WorkflowRunRequest
from skyvern_desktop.app import DesktopApp
from skyvern_desktop.core.connection.secrets import KeyStore
from skyvern_desktop.core.paths import app_paths
from skyvern_desktop.core.schedules import cron
from skyvern_desktop.ui.schedules import page as schedules_page
from skyvern_desktop.ui.schedules.editor import ScheduleEditor
from skyvern_desktop.ui.tasks import TaskRunner
from skyvern_desktop.ui.widgets.schedules_model import SCHEDULE_ID_ROLE, Column
from tests.api.support import API_KEY, schedule_json, workflow_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, param, string_input, wait_block, wait_for_run
from tests.realserver import RealServer
from tests.ui.conftest import child, message_box, wait_until

pytestmark = [pytest.mark.asyncio, pytest.mark.server]


@pytest_asyncio.fixture
async def app(
    monkeypatch: pytest.MonkeyPatch, real_server: RealServer, no_keyring: KeyStore
) -> AsyncIterator[DesktopApp]:
    """The app, shown and connected to the real server, its workflows loaded."""
    monkeypatch.setenv("SKYVERN_BASE_URL", real_server.base_url)
    monkeypatch.setenv("SKYVERN_API_KEY", real_server.api_key)
    desktop = DesktopApp(app_paths().ensure(), keys=no_keyring)
    try:
        desktop.window.show()
        await desktop.connect_initial(interactive=False)
        await desktop.window.workflows.wait_loaded()
        await desktop.tasks.join()
        yield desktop
        await desktop.tasks.join()
    finally:
        await desktop.aclose()


async def _report_workflow(workflows: WorkflowFactory) -> str:
    return await workflows.create(
        "Report",
        [string_input("recipient"), param("pages", "integer", 3)],
        [wait_block(seconds=1)],
    )


def _select(app: DesktopApp, schedule_id: str) -> None:
    page = app.window.schedules
    assert page.select(schedule_id), f"{schedule_id} is not listed"


def _action(app: DesktopApp, key: str) -> QAction:
    return child(app.window.schedules, QAction, f"schedulesAction_{key}")


async def _show_only(app: DesktopApp, search: str) -> None:
    page = app.window.schedules
    child(page, QLineEdit, "schedulesSearch").setText(search)
    await app.schedules.listing.load()


async def _editor(app: DesktopApp) -> ScheduleEditor:
    await wait_until(lambda: bool(app.schedules.forms), what="the schedule editor")
    editor = app.schedules.forms[-1]
    await wait_until(editor.isVisible)
    return editor


# ---------------------------------------------------------------------- lists


async def test_the_schedules_view_lists_filters_and_pages(
    app: DesktopApp, monkeypatch: pytest.MonkeyPatch,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await _report_workflow(workflows)
    title = (await client.get_workflow(wpid)).title
    for name, expr, zone, enabled in (
        ("Weekday morning", "0 9 * * 1-5", "America/New_York", True),
        ("Friday wrap-up", "30 17 * * 5", "Europe/Berlin", False),
        ("Month start", "0 6 1 * *", "Asia/Tokyo", True),
    ):
        await client.create_schedule(
            wpid,
            ScheduleUpsert(
                cron_expression=expr, timezone=zone, name=name, enabled=enabled,
                parameters={"recipient": "ops@example.com"},
            ),
        )  # fmt: skip
    monkeypatch.setattr(schedules_page, "PAGE_SIZE", 2)
    page = app.window.schedules
    app.window.show_page("schedules")
    await _show_only(app, title)
    model = page.model
    assert model.rowCount() == 2
    assert child(page, QLabel, "schedulesPageLabel").text() == "1–2 of 3"
    next_button = child(page, QPushButton, "schedulesNext")
    assert next_button.isEnabled()
    next_button.click()
    await wait_until(lambda: model.rowCount() == 1, what="the second page")
    assert child(page, QLabel, "schedulesPageLabel").text() == "3–3 of 3"
    assert not next_button.isEnabled()

    # Every column, for the oldest (created first) schedule on the last page.
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    assert headers == [c.value for c in schedules_page.COLUMNS]

    def cell(row: int, column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return model.index(row, schedules_page.COLUMNS.index(column)).data(role)

    assert cell(0, Column.WORKFLOW) == title
    assert cell(0, Column.NAME) == "Weekday morning"
    assert cell(0, Column.WHEN) == "At 09:00, Monday through Friday"
    assert cell(0, Column.TIMEZONE) == "America/New_York"
    expected = cron.next_firings("0 9 * * 1-5", "America/New_York", 1)[0]
    assert cell(0, Column.NEXT) == expected.astimezone().strftime("%a %d %b, %H:%M")
    assert cell(0, Column.ENABLED, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked

    status = child(page, QComboBox, "schedulesStatus")
    status.setCurrentIndex(status.findData("paused"))
    await app.schedules.listing.load()
    assert model.rowCount() == 1
    assert cell(0, Column.NAME) == "Friday wrap-up"
    assert cell(0, Column.NEXT) == "Paused"
    assert cell(0, Column.ENABLED) == "Paused"
    status.setCurrentIndex(status.findData("active"))
    await app.schedules.listing.load()
    assert {cell(r, Column.NAME) for r in range(model.rowCount())} == {
        "Weekday morning",
        "Month start",
    }
    await app.tasks.join()


async def test_the_workflow_details_panel_lists_its_schedules(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await workflows.create("Detailed", [], [wait_block(seconds=1)])
    await client.create_schedule(
        wpid, ScheduleUpsert(cron_expression="15 * * * *", timezone="UTC", name="Hourly")
    )
    await client.create_schedule(
        wpid,
        ScheduleUpsert(cron_expression="0 8 * * *", timezone="UTC", name="Daily", enabled=False),
    )
    await app.catalogue.load()  # the workflow was made after the app started
    assert app.window.workflows.select_workflow(wpid)
    details = app.window.workflows.details
    await wait_until(lambda: details.schedules_model.rowCount() == 2, what="its schedules")
    table = child(details, QTableView, "workflowSchedules")
    assert table.isVisible()
    names = {details.schedules_model.items[r].name for r in range(2)}
    assert names == {"Hourly", "Daily"}
    label = child(details, QLabel, "workflowSchedulesLabel").text()
    assert "2 (1 active)" in label
    words = {table.model().index(r, 1).data() for r in range(2)}
    assert words == {"At 15 minutes past the hour", "At 08:00"}
    await app.tasks.join()


# ---------------------------------------------------------------------- editor


async def test_create_builds_the_schedule_without_cron_and_posts_it(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await _report_workflow(workflows)
    await app.catalogue.load()  # the workflow was made after the app started
    assert app.window.workflows.select_workflow(wpid)
    details = app.window.workflows.details
    new_button = child(details, QPushButton, "workflowNewSchedule")
    await wait_until(new_button.isEnabled, what="New schedule enabled")
    qtbot.mouseClick(new_button, Qt.MouseButton.LeftButton)
    editor = await _editor(app)
    shape = child(editor, QComboBox, "cadenceShape")
    shape.setCurrentIndex(shape.findData(cron.Shape.WEEKLY.value))
    # Weekly starts from the weekdays the form had (Monday to Friday).
    assert child(editor, QCheckBox, "cadenceDay3").isChecked()
    for day in range(7):
        child(editor, QCheckBox, f"cadenceDay{day}").setChecked(day in (2, 4))
    child(editor, QTimeEdit, "cadenceTime").setTime(QTime(7, 45))
    raw = child(editor, QLineEdit, "cadenceRaw")
    assert raw.text() == "45 7 * * 2,4"  # the builder writes the raw field
    timezone = child(editor, QComboBox, "scheduleTimezone")
    timezone.setCurrentText("America/New_York")
    words = child(editor, QLabel, "scheduleWords").text()
    assert words == "At 07:45, only on Tuesday and Thursday"
    assert child(editor, QLabel, "scheduleNextRuns").text().count("<li>") == 5
    child(editor, QLineEdit, "scheduleName").setText("Twice a week")
    child(editor, QPlainTextEdit, "scheduleDescription").setPlainText("Tue and Thu")
    child(editor, QPlainTextEdit, "field_recipient_edit").setPlainText("ops@example.com")
    qtbot.mouseClick(child(editor, QPushButton, "scheduleSave"), Qt.MouseButton.LeftButton)
    await wait_until(lambda: editor not in app.schedules.forms, what="the editor to close")
    (saved,) = await client.list_workflow_schedules(wpid)
    assert saved.cron_expression == "45 7 * * 2,4"
    assert saved.timezone == "America/New_York"
    assert (saved.name, saved.description) == ("Twice a week", "Tue and Thu")
    assert saved.parameters == {"recipient": "ops@example.com", "pages": 3}
    assert saved.enabled
    # Both lists show it without a manual refresh.
    await wait_until(lambda: details.schedules_model.rowCount() == 1, what="details list")
    page = app.window.schedules
    await wait_until(
        lambda: page.model.row_of(saved.workflow_schedule_id) is not None,
        what="the Schedules view",
    )
    await app.tasks.join()


async def test_raw_cron_and_builder_stay_in_sync_and_custom_is_kept(
    app: DesktopApp,
    workflows: WorkflowFactory, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await workflows.create("Sync", [], [wait_block(seconds=1)])
    editor = await app.schedules.open_editor(wpid)
    assert editor is not None
    raw = child(editor, QLineEdit, "cadenceRaw")
    shape = child(editor, QComboBox, "cadenceShape")
    for text, expected in (
        ("*/10 * * * *", cron.Shape.EVERY_MINUTES),
        ("20 * * * *", cron.Shape.HOURLY),
        ("0 18 * * *", cron.Shape.DAILY),
        ("0 9 * * MON-FRI", cron.Shape.WEEKDAYS),
        ("0 9 15 * *", cron.Shape.MONTHLY),
        ("0 9 1,15 * *", cron.Shape.CUSTOM),
    ):
        raw.clear()
        qtbot.keyClicks(raw, text)
        assert shape.currentData() == expected.value, text
        assert raw.text() == text  # typing is never rewritten under the cursor
    assert child(editor, QLabel, "cadenceCustomNote").isVisible()
    assert child(editor, QLabel, "scheduleWords").text() == "At 09:00, on day 1 and 15 of the month"
    # Back to the builder: it writes its own expression.
    shape.setCurrentIndex(shape.findData(cron.Shape.DAILY.value))
    assert raw.text() == "0 9 * * *"
    editor.reject()
    await app.tasks.join()


async def test_invalid_input_never_reaches_the_server(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await workflows.create(
        "Strict", [param("limit", "integer"), string_input("note")], [wait_block(seconds=1)]
    )
    editor = await app.schedules.open_editor(wpid)
    assert editor is not None
    raw = child(editor, QLineEdit, "cadenceRaw")
    error = child(editor, QLabel, "cadenceError")
    for text in ("*/4 * * * *", "* * * * *", "0 9 * *", "0 9 * * * 0", "61 * * * *"):
        raw.clear()
        qtbot.keyClicks(raw, text)
        assert error.isVisible() and error.text(), text
    assert "at least 5 minutes" in (cron.check("*/4 * * * *") or "")
    raw.clear()
    qtbot.keyClicks(raw, "*/4 * * * *")
    child(editor, QComboBox, "scheduleTimezone").setCurrentText("Mars/Base")
    child(editor, QLineEdit, "scheduleName").setText("Kept")
    await editor.save()
    assert editor.isVisible()
    assert "at least 5 minutes" in error.text()
    tz_error = child(editor, QLabel, "scheduleTimezoneError")
    assert tz_error.isVisible() and "Mars/Base" in tz_error.text()
    # A required number left empty is refused here (empty text is a value, as on the
    # server); a number that is not whole too.
    limit_error = child(editor, QLabel, "field_limit_error")
    assert limit_error.isVisible() and "required" in limit_error.text()
    limit = child(editor, QLineEdit, "field_limit_edit")
    limit.setText("2.5")
    await editor.save()
    assert "whole number" in limit_error.text()
    assert await client.list_workflow_schedules(wpid) == []  # nothing was sent
    # Nothing typed was lost.
    assert raw.text() == "*/4 * * * *"
    assert child(editor, QLineEdit, "scheduleName").text() == "Kept"
    assert limit.text() == "2.5"
    editor.reject()
    await app.tasks.join()


async def test_a_server_refusal_is_shown_verbatim_and_keeps_the_form(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    """The server checks credentials; an id it cannot resolve is refused with a 400."""
    wpid = await workflows.create(
        "Cred schedule", [param("login", "credential_id")], [wait_block(seconds=1)]
    )
    editor = await app.schedules.open_editor(wpid)
    assert editor is not None
    login = child(editor, QComboBox, "field_login_edit")
    login.setEditText("cred_doesnotexist")
    child(editor, QLineEdit, "scheduleName").setText("Login check")
    await editor.save()
    banner = child(editor, QLabel, "scheduleBanner")
    assert banner.isVisible()
    assert banner.text().startswith(
        "The server refused the schedule: Invalid credential ID: cred_doesnotexist."
    )
    field_error = child(editor, QLabel, "field_login_error")
    assert field_error.isVisible() and "cred_doesnotexist" in field_error.text()
    assert login.currentText() == "cred_doesnotexist"
    assert child(editor, QLineEdit, "scheduleName").text() == "Login check"
    assert await client.list_workflow_schedules(wpid) == []
    editor.reject()
    await app.tasks.join()


async def test_editing_only_the_time_keeps_the_name_and_the_inputs(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await _report_workflow(workflows)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression="0 9 * * 1-5", timezone="Europe/Berlin", name="Morning",
            description="Before the stand-up",
            parameters={"recipient": "a@example.com", "pages": 7},
        ),
    )  # fmt: skip
    sid = created.schedule.workflow_schedule_id
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    _action(app, "edit").trigger()
    editor = await _editor(app)
    assert editor.editing
    assert child(editor, QLineEdit, "scheduleName").text() == "Morning"
    assert child(editor, QPlainTextEdit, "field_recipient_edit").toPlainText() == "a@example.com"
    assert child(editor, QLineEdit, "field_pages_edit").text() == "7"
    child(editor, QTimeEdit, "cadenceTime").setTime(QTime(10, 30))
    assert child(editor, QLineEdit, "cadenceRaw").text() == "30 10 * * 1-5"
    qtbot.mouseClick(child(editor, QPushButton, "scheduleSave"), Qt.MouseButton.LeftButton)
    await wait_until(lambda: editor not in app.schedules.forms, what="the editor to close")
    after = (await client.get_schedule(wpid, sid)).schedule
    assert after.cron_expression == "30 10 * * 1-5"
    assert (after.name, after.description) == ("Morning", "Before the stand-up")
    assert after.parameters == {"recipient": "a@example.com", "pages": 7}
    assert (after.timezone, after.enabled) == ("Europe/Berlin", True)
    await app.tasks.join()


async def test_editing_an_interval_schedule_keeps_its_timing(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await workflows.create("Interval UI", [], [wait_block(seconds=1)])
    first = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(interval_seconds=1800, first_fire_at=first, timezone="UTC", name="Half"),
    )
    sid = created.schedule.workflow_schedule_id
    editor = await app.schedules.open_editor(wpid, sid)
    assert editor is not None
    fixed = child(editor, QLabel, "scheduleFixedCadence")
    assert fixed.isVisible() and "Every 30 minutes" in fixed.text()
    assert not child(editor, QLineEdit, "cadenceRaw").isVisible()
    child(editor, QLineEdit, "scheduleName").setText("Half-hourly")
    assert await editor.save() is not None
    after = (await client.get_schedule(wpid, sid)).schedule
    assert (after.interval_seconds, after.first_fire_at) == (1800, first)
    assert after.cron_expression is None
    assert after.name == "Half-hourly"
    await app.tasks.join()


# ---------------------------------------------------------------------- actions


async def test_pause_and_resume_from_the_list_and_from_the_editor(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await workflows.create("Pausable", [], [wait_block(seconds=1)])
    created = await client.create_schedule(
        wpid, ScheduleUpsert(cron_expression="0 12 * * *", timezone="UTC", name="Noon")
    )
    sid = created.schedule.workflow_schedule_id
    page = app.window.schedules
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    toggle = _action(app, "toggle")
    assert toggle.text() == "Pause"
    toggle.trigger()
    await wait_until(lambda: toggle.text() == "Resume", what="paused")
    assert (await client.get_schedule(wpid, sid)).schedule.enabled is False

    # The switch in the Enabled column.
    row = page.model.row_of(sid)
    assert row is not None
    switch = page.model.index(row, schedules_page.COLUMNS.index(Column.ENABLED))
    assert switch.data(SCHEDULE_ID_ROLE) == sid
    page.model.setData(switch, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    await wait_until(lambda: page.model.items[row].enabled, what="resumed by the switch")
    assert (await client.get_schedule(wpid, sid)).schedule.enabled is True

    # From the editor.
    editor = await app.schedules.open_editor(wpid, sid)
    assert editor is not None
    enabled = child(editor, QCheckBox, "scheduleEnabled")
    assert enabled.isChecked()
    enabled.setChecked(False)
    assert await editor.save() is not None
    after = (await client.get_schedule(wpid, sid)).schedule
    assert after.enabled is False
    assert after.name == "Noon"
    await wait_until(lambda: toggle.text() == "Resume" and page.select(sid), what="list")
    await app.tasks.join()


async def test_delete_asks_naming_the_schedule(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient, qtbot: QtBot,
) -> None:  # fmt: skip
    wpid = await workflows.create("Deletable", [], [wait_block(seconds=1)])
    created = await client.create_schedule(
        wpid, ScheduleUpsert(cron_expression="0 7 * * *", timezone="UTC", name="Early bird")
    )
    sid = created.schedule.workflow_schedule_id
    page = app.window.schedules
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    _action(app, "delete").trigger()
    box = await message_box("scheduleDeleteConfirm")
    assert "“Early bird”" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    await app.tasks.join()
    assert (await client.get_schedule(wpid, sid)).schedule.name == "Early bird"

    _select(app, sid)
    _action(app, "delete").trigger()
    box = await message_box("scheduleDeleteConfirm")
    delete = child(box, QPushButton, "scheduleDeleteConfirmYes")
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    await wait_until(lambda: page.model.row_of(sid) is None, what="the row to go")
    with pytest.raises(NotFoundError):
        await client.get_schedule(wpid, sid)
    await app.tasks.join()


async def test_duplicate_opens_a_filled_in_copy_and_creates_it(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await _report_workflow(workflows)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression="0 9 * * 1-5", timezone="Asia/Tokyo", name="Original",
            parameters={"recipient": "x@example.com"},
        ),
    )  # fmt: skip
    sid = created.schedule.workflow_schedule_id
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    _action(app, "duplicate").trigger()
    editor = await _editor(app)
    assert not editor.editing
    assert child(editor, QLineEdit, "scheduleName").text() == "Copy of Original"
    assert editor.timezone_name() == "Asia/Tokyo"
    assert await editor.save() is not None
    schedules = await client.list_workflow_schedules(wpid)
    assert len(schedules) == 2
    copy = next(s for s in schedules if s.workflow_schedule_id != sid)
    assert copy.name == "Copy of Original"
    assert (copy.cron_expression, copy.timezone) == ("0 9 * * 1-5", "Asia/Tokyo")
    # "pages" was left to the workflow's default in the original, and still is.
    assert copy.parameters == {"recipient": "x@example.com"}
    await app.tasks.join()


async def test_run_now_starts_a_run_with_the_schedules_inputs(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    wpid = await _report_workflow(workflows)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression="0 3 * * *", timezone="UTC", name="Nightly",
            parameters={"recipient": "night@example.com", "pages": 2},
        ),
    )  # fmt: skip
    sid = created.schedule.workflow_schedule_id
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    run_now = _action(app, "run_now")
    run_now.trigger()
    run_now.trigger()  # a second press while the first is starting is ignored
    panes = app.window.runs.panes
    await wait_until(lambda: len(panes) == 1, what="a run pane")
    assert app.window.current_page() == "runs"
    (run_id,) = panes
    finished = await wait_for_run(client, run_id, within=60)
    assert finished.status == RunStatus.COMPLETED
    assert finished.run_request is not None
    assert finished.run_request["parameters"] == {"recipient": "night@example.com", "pages": 2}
    runs = await client.list_workflow_runs(workflow_permanent_id=wpid)
    assert [r.workflow_run_id for r in runs] == [run_id]  # exactly one run
    await app.tasks.join()


async def _scheduled_run(client: SkyvernClient, wpid: str, sid: str) -> WorkflowRun:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for run in await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50):
            if run.workflow_schedule_id == sid:
                return run
        await asyncio.sleep(1)
    raise AssertionError("the server's scheduler did not start the schedule's run")


async def test_runs_of_this_schedule_shows_only_the_runs_it_started(
    app: DesktopApp,
    workflows: WorkflowFactory, client: SkyvernClient,
) -> None:  # fmt: skip
    """A real scheduled run: the schedule fires at the next whole minute (the test
    server's scheduler looks every 2 s), beside a manual run of the same workflow."""
    wpid = await workflows.create("Fires", [], [wait_block(seconds=1)])
    fire = (datetime.now(UTC) + timedelta(seconds=65)).replace(second=0, microsecond=0)
    created = await client.create_schedule(
        wpid,
        ScheduleUpsert(
            cron_expression=f"{fire.minute} {fire.hour} * * *", timezone="UTC", name="Soon"
        ),
    )
    sid = created.schedule.workflow_schedule_id
    other = await client.create_schedule(
        wpid, ScheduleUpsert(cron_expression="0 4 * * *", timezone="UTC", name="Other")
    )
    manual = await client.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    scheduled = await _scheduled_run(client, wpid, sid)
    assert str(scheduled.trigger_type) == "scheduled"
    try:
        app.window.show_page("schedules")
        await app.schedules.listing.load()
        _select(app, sid)
        _action(app, "runs").trigger()
        assert app.window.current_page() == "runs"
        history = app.window.runs.history
        scope = child(history, QComboBox, "historyScope")
        assert scope.currentText() == "Only schedule “Soon”"
        await app.tasks.join()
        # Exactly the runs the server says this schedule started; the manual run is not.
        everything = await client.list_workflow_runs(workflow_permanent_id=wpid, page_size=50)
        by_schedule = [r.workflow_run_id for r in everything if r.workflow_schedule_id == sid]
        assert scheduled.workflow_run_id in by_schedule
        assert manual.run_id in {r.workflow_run_id for r in everything}
        shown = [r.workflow_run_id for r in history.model.runs]
        assert shown == by_schedule, [
            (r.workflow_run_id, r.workflow_schedule_id) for r in everything
        ]
        assert manual.run_id not in shown
        assert {history.model.index(r, 3).data() for r in range(len(shown))} == {"⏰ Schedule"}

        # The other schedule has started nothing.
        app.window.show_page("schedules")
        _select(app, other.schedule.workflow_schedule_id)
        _action(app, "runs").trigger()
        await wait_until(lambda: scope.currentText() == "Only schedule “Other”")
        await app.tasks.join()
        assert history.model.rowCount() == 0
    finally:
        await client.set_schedule_enabled(wpid, sid, False)


async def test_a_stale_editor_does_not_undo_a_pause_made_from_the_list(
    app: DesktopApp, workflows: WorkflowFactory, client: SkyvernClient
) -> None:
    wpid = await workflows.create("Stale", [], [wait_block(seconds=1)])
    created = await client.create_schedule(
        wpid, ScheduleUpsert(cron_expression="0 13 * * *", timezone="UTC", name="Lunch")
    )
    sid = created.schedule.workflow_schedule_id
    editor = await app.schedules.open_editor(wpid, sid)  # opened while it is enabled
    assert editor is not None
    app.window.show_page("schedules")
    await app.schedules.listing.load()
    _select(app, sid)
    _action(app, "toggle").trigger()  # paused from the list meanwhile
    await app.tasks.join()
    assert (await client.get_schedule(wpid, sid)).schedule.enabled is False
    child(editor, QLineEdit, "scheduleName").setText("Lunch check")
    assert await editor.save() is not None
    after = (await client.get_schedule(wpid, sid)).schedule
    assert (after.name, after.enabled) == ("Lunch check", False)


async def test_the_timezone_search_finds_names_by_their_words(
    app: DesktopApp, workflows: WorkflowFactory, qtbot: QtBot
) -> None:
    wpid = await workflows.create("Zones", [], [wait_block(seconds=1)])
    editor = await app.schedules.open_editor(wpid)
    assert editor is not None
    timezone = child(editor, QComboBox, "scheduleTimezone")
    line = timezone.lineEdit()
    assert line is not None
    line.clear()
    qtbot.keyClicks(line, "new york")
    completer = timezone.completer()
    assert completer is not None
    matches = [
        completer.completionModel().index(r, 0).data()
        for r in range(completer.completionModel().rowCount())
    ]
    assert "America/New York" in matches
    popup = completer.popup()
    if popup is not None:
        popup.hide()  # a popup left open would hold the keyboard in the next test
    # Mid-search the field is not a name yet; no error is shown until it is left.
    assert not child(editor, QLabel, "scheduleTimezoneError").isVisible()
    line.setText("America/New York")
    assert editor.timezone_name() == "America/New_York"
    assert "EST" in child(editor, QLabel, "scheduleNextRuns").text() or "EDT" in (
        child(editor, QLabel, "scheduleNextRuns").text()
    )
    line.setText("Factory")  # ZoneInfo loads it, but it is not a place; the server's list
    assert editor.timezone_problem() is not None
    editor.reject()


# ---------------------------------------------------------------------- faults (fake server)


async def _fake_editor(client: SkyvernClient, tasks: TaskRunner) -> ScheduleEditor:
    """An editor the test deletes itself (not registered with qtbot, whose teardown would
    then close a deleted object: on Python 3.12 the wrapper outlives the C++ editor)."""
    workflow = await client.get_workflow("wpid_1")
    editor = ScheduleEditor(workflow, client, tasks, default_timezone="UTC")
    editor.show()
    await tasks.join()
    return editor


@pytest.mark.parametrize("created", [True, False])
async def test_a_create_whose_answer_is_lost_is_looked_for_not_resent(
    tasks: TaskRunner, fake_server: FakeServer, created: bool
) -> None:
    """A gateway timeout after the POST: the schedule may exist. The editor never sends it
    again by itself; it looks, and says which it is."""
    fake_server.enqueue_json("GET", "/v1/workflows/wpid_1", workflow_json(1))
    fake_server.enqueue("POST", "/v1/workflows/wpid_1/schedules", FakeResponse(status=504))
    stored = schedule_json(
        cron_expression="0 9 * * 1-5", timezone="UTC", name="Lost", parameters={"url": "u"}
    )
    fake_server.enqueue_json(
        "GET", "/v1/workflows/wpid_1/schedules", {"schedules": [stored] if created else []}
    )
    async with SkyvernClient(fake_server.url, API_KEY, retry=NO_RETRY) as client:
        editor = await _fake_editor(client, tasks)
        try:
            child(editor, QLineEdit, "scheduleName").setText("Lost")
            child(editor, QPlainTextEdit, "field_url_edit").setPlainText("u")
            result = await editor.save()
            assert len(fake_server.requests_to("POST", "/v1/workflows/wpid_1/schedules")) == 1
            banner = child(editor, QLabel, "scheduleBanner").text()
            if created:
                assert result is not None, banner
                assert result.schedule.workflow_schedule_id == "wfs_1"
            else:
                assert result is None
                assert "It was not created" in banner, banner
                assert child(editor, QLineEdit, "scheduleName").text() == "Lost"
        finally:
            # Deleted here, not later inside whichever test runs the event loop next.
            editor.close()
            editor.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
