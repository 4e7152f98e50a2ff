"""The Workflows screen: against the real server, and a fake one for the states it won't produce."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from skyvern_desktop.api import NO_RETRY, Secret
from skyvern_desktop.api.models import ScheduleUpsert, WorkflowRunRequest
from skyvern_desktop.core.connection.profiles import Profile, ProfileKind
from skyvern_desktop.ui.changes import Changes
from skyvern_desktop.ui.data import catalogue as page_module
from skyvern_desktop.ui.data.catalogue import WorkflowCatalogue
from skyvern_desktop.ui.data.workflows_model import Column
from skyvern_desktop.ui.session import Session
from skyvern_desktop.ui.tasks import TaskRunner
from skyvern_desktop.ui.widgets.state_panel import PanelState
from skyvern_desktop.ui.workflows.page import WorkflowsPage
from tests.api.support import API_KEY, workflow_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.integration.helpers import WorkflowFactory, http_block, param, string_input, wait_for_run
from tests.realserver import RealServer
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.asyncio


class Harness:
    def __init__(self, qtbot: QtBot) -> None:
        self.errors: list[BaseException] = []
        self.tasks = TaskRunner(lambda name, exc: self.errors.append(exc))
        self.session = Session(retry=NO_RETRY)
        # The screen as the app has it: its owner, the catalogue, loads what it shows.
        self.catalogue = WorkflowCatalogue(self.session, self.tasks, Changes())
        self.page = WorkflowsPage(self.catalogue.model)
        self.catalogue.attach(self.page)
        qtbot.addWidget(self.page)
        self.page.resize(1100, 700)
        self.page.show()

    async def connect(self, base_url: str, key: str) -> None:
        profile = Profile(name="Test", kind=ProfileKind.SELF_HOSTED, base_url=base_url)
        await self.session.connect_to(profile, Secret(key))

    async def idle(self) -> None:
        """Let every task finish. A test must end with none running: qasync steps leftover
        tasks once more after the loop has stopped, where they fail with "no running loop"."""
        await self.tasks.join()

    async def aclose(self) -> None:
        await self.tasks.aclose()
        await self.session.aclose()
        assert not self.errors, "".join(
            "".join(traceback.format_exception(type(e), e, e.__traceback__)) for e in self.errors
        )


@pytest_asyncio.fixture
async def harness(qtbot: QtBot) -> AsyncIterator[Harness]:
    h = Harness(qtbot)
    yield h
    await h.aclose()


CHECK_KEY = "/v1/workflows?page=1&page_size=1"  # the connection check's authenticated call


def _empty_activity(server: FakeServer) -> None:
    server.always("GET", CHECK_KEY, FakeResponse.of_json([]))
    server.always("GET", "/v1/workflows/runs", FakeResponse.of_json([]))
    server.always(
        "GET", "/v1/schedules",
        FakeResponse.of_json({"schedules": [], "total_count": 0, "page": 1, "page_size": 100}),
    )  # fmt: skip
    server.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))


# ---------------------------------------------------------------------- real server


async def test_every_workflow_loads_page_by_page_with_activity_and_inputs(
    harness: Harness,
    real_server: RealServer,
    workflows: WorkflowFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(page_module, "FIRST_PAGE_SIZE", 1)
    monkeypatch.setattr(page_module, "PAGE_SIZE", 2)
    endpoint = f"{real_server.base_url}/v1/version"
    ran = await workflows.create(
        "Page run", [string_input("endpoint", endpoint, "Address to call")], [http_block()],
        description="Calls the server",
    )  # fmt: skip
    scheduled = await workflows.create(
        "Page scheduled", [string_input("name"), param("count", "integer", 3, "How many")],
        [http_block(url=endpoint)],
    )  # fmt: skip
    quiet = await workflows.create("Page quiet", [], [http_block(url=endpoint)])
    from skyvern_desktop.api import SkyvernClient

    async with SkyvernClient(real_server.base_url, real_server.api_key) as c:
        run = await c.run_workflow(WorkflowRunRequest(workflow_id=ran))
        await wait_for_run(c, run.run_id)
        await c.create_schedule(
            scheduled,
            ScheduleUpsert(cron_expression="0 9 * * 1-5", timezone="UTC", parameters={"name": "x"}),
        )
        expected = {w.workflow_permanent_id for w in await c.list_all_workflows()}

    await harness.connect(real_server.base_url, real_server.api_key)
    page = harness.page
    await page.wait_loaded()
    model = page.model
    assert {r.wpid for r in model.rows} == expected  # every page, nothing twice
    assert model.rowCount() == len(expected) > 2

    def cell(wpid: str, col: Column) -> str:
        return str(model.index(model.row_of(wpid) or 0, col).data())

    assert cell(ran, Column.LAST_RUN).startswith("Completed · ")
    assert cell(quiet, Column.LAST_RUN) == "Never run"
    assert cell(scheduled, Column.SCHEDULES) == "1"
    assert cell(quiet, Column.SCHEDULES) == ""
    assert cell(scheduled, Column.INPUTS) == "2"
    assert page.panel.state is PanelState.CONTENT
    assert page.count_label.text() == f"{len(expected)} workflows"

    assert page.select_workflow(scheduled)
    details = page.details
    assert details.workflow is not None
    assert details.workflow.workflow_permanent_id == scheduled
    inputs = details.inputs_model
    rows = [
        [inputs.index(r, c).data() for c in range(inputs.columnCount())]
        for r in range(inputs.rowCount())
    ]
    assert rows == [
        ["name", "string", "", "Required", ""],
        ["count", "integer", "3", "Optional", "How many"],
    ]
    run_button = page.findChild(QPushButton, "workflowRunButton")
    assert run_button is not None
    assert not run_button.isEnabled()  # nothing to launch with until the window says so
    page.set_launch_available(True)
    assert run_button.isEnabled()
    asked: list[str] = []
    page.launch_requested.connect(asked.append)
    run_button.click()
    page.table.doubleClicked.emit(page.table.currentIndex())
    assert asked == [scheduled, scheduled]
    await harness.idle()


async def test_search_filters_instantly_then_asks_the_server(
    harness: Harness, real_server: RealServer, workflows: WorkflowFactory, qtbot: QtBot
) -> None:
    # The word is only in an input's description: the local filter cannot see it,
    # the server's search_key can.
    hidden = await workflows.create(
        "Zebra", [string_input("target", None, "the quokkaberry page")], [http_block()]
    )
    plain = await workflows.create("Zebra crossing", [], [http_block()])
    await harness.connect(real_server.base_url, real_server.api_key)
    page = harness.page
    await page.wait_loaded()

    qtbot.keyClicks(page.search, "zebra")
    shown = {
        str(page.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1))
        for r in range(page.proxy.rowCount())
    }
    assert {hidden, plain} <= shown  # instantly, before any server call
    assert all("zebra" in page.model.workflow(w).title.lower() for w in shown)  # type: ignore[union-attr]

    page.search.clear()
    qtbot.keyClicks(page.search, "quokkaberry")
    assert page.proxy.rowCount() == 0
    assert page.count_label.text() == "No workflow matches “quokkaberry”"
    await wait_until(lambda: page.proxy.rowCount() == 1, what="the server's search hit")
    assert page.proxy.index(0, Column.ID).data() == hidden
    assert page.count_label.text().startswith("1 of ")


async def test_refresh_keeps_selection_and_scroll(
    harness: Harness, real_server: RealServer, workflows: WorkflowFactory
) -> None:
    for i in range(25):
        await workflows.create(f"Scroll {i:02d}", [], [http_block()])
    await harness.connect(real_server.base_url, real_server.api_key)
    page = harness.page
    page.resize(900, 300)
    await page.wait_loaded()
    target = page.model.rows[page.model.rowCount() - 3].wpid
    assert page.select_workflow(target)
    bar = page.table.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() - 1)
    before = bar.value()
    refreshed = harness.tasks.spawn("workflows.refresh", harness.catalogue.load())
    await refreshed
    assert page.selected_workflow_id() == target
    assert bar.value() == before
    assert page.details.workflow is not None
    assert page.details.workflow.workflow_permanent_id == target


# ---------------------------------------------------------------------- fake server


async def test_not_connected_says_so(harness: Harness) -> None:
    assert harness.page.panel.state is PanelState.EMPTY
    assert harness.page.panel.title_text == "Not connected"


async def test_empty_loading_error_and_retry(
    harness: Harness,
    fake_server: FakeServer,
    qtbot: QtBot,
) -> None:
    _empty_activity(fake_server)
    fake_server.enqueue(
        "GET", "/v1/workflows",
        FakeResponse.of_json({"error": "Unexpected error: OperationalError"}, 500, delay=0.3),
        FakeResponse.of_json([]),
        FakeResponse.of_json([workflow_json(1, title="Now there is one")]),
    )  # fmt: skip
    page = harness.page
    await harness.connect(fake_server.url, API_KEY)
    await wait_until(lambda: page.panel.state is PanelState.LOADING, what="loading state")
    assert page.panel.title_text == "Loading workflows…"
    await page.wait_loaded()
    assert page.panel.state is PanelState.ERROR
    assert page.panel.title_text == "Could not load the workflows"
    assert "OperationalError" in page.panel.message_text
    assert harness.session.report.state.value == "error"

    retry = page.findChild(QPushButton, "workflowsStateAction")
    assert retry is not None
    assert retry.text() == "Try again"
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    await wait_until(lambda: page.panel.state is PanelState.EMPTY, what="empty state")
    assert page.panel.title_text == "No workflows yet"
    assert page.count_label.text() == ""
    assert retry.text() == "Refresh"

    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    await wait_until(lambda: page.panel.state is PanelState.CONTENT, what="content")
    assert page.model.index(0, Column.TITLE).data() == "Now there is one"


async def test_a_failed_refresh_keeps_the_rows_and_says_why(
    harness: Harness,
    fake_server: FakeServer,
) -> None:
    _empty_activity(fake_server)
    fake_server.enqueue(
        "GET", "/v1/workflows",
        FakeResponse.of_json([workflow_json(1), workflow_json(2)]),
        FakeResponse(status=503, body=b"<html>maintenance</html>"),
    )  # fmt: skip
    page = harness.page
    await harness.connect(fake_server.url, API_KEY)
    await page.wait_loaded()
    assert page.model.rowCount() == 2
    await harness.catalogue.load()
    assert page.model.rowCount() == 2
    assert page.panel.state is PanelState.CONTENT
    assert not page.banner.isHidden()
    assert "Could not refresh the workflows" in page.banner.text()
    assert "HTTP 503" in page.banner.text()


async def test_schedules_switched_off_on_the_server(
    harness: Harness,
    fake_server: FakeServer,
) -> None:
    fake_server.always("GET", "/v1/workflows/runs", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/version", FakeResponse.of_json({"version": "1.0.56"}))
    fake_server.always("GET", CHECK_KEY, FakeResponse.of_json([]))
    fake_server.always(
        "GET", "/v1/schedules",
        FakeResponse.of_json({"detail": "Workflow schedules are disabled"}, 501),
    )  # fmt: skip
    fake_server.enqueue_json("GET", "/v1/workflows", [workflow_json(1)])
    await harness.connect(fake_server.url, API_KEY)
    await harness.page.wait_loaded()
    assert harness.page.model.index(0, Column.SCHEDULES).data() == "—"
    assert len(fake_server.requests_to("GET", "/v1/schedules")) == 1  # 501 is not retried
