"""The in-process fake client: real models, the server's filters and refusals, recorded
calls, runs that move when told, faults on demand, and no endpoint the app calls left out."""

from __future__ import annotations

import contextlib
import inspect
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from skyvern_desktop.api import (
    AuthError,
    ClientClosedError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    ValidationError,
)
from skyvern_desktop.api.client import SkyvernClient
from skyvern_desktop.api.errors import NetworkErrorKind
from skyvern_desktop.api.models import (
    Artifact,
    RunResponse,
    RunStatus,
    SchedulePage,
    ScheduleUpsert,
    ScheduleWithNextRuns,
    ServerVersion,
    TimelineItem,
    TotpCode,
    Workflow,
    WorkflowRun,
    WorkflowRunRequest,
    WorkflowSchedule,
)
from skyvern_desktop.api.models.logins import CredentialType, NewCredential
from skyvern_desktop.core.connection.check import ConnectionState
from skyvern_desktop.core.runs.live import FeedState, LiveFeed
from skyvern_desktop.ui.session import Session
from tests.fakes.client import API_METHODS, PNG_1X1, FakeClient, as_client, use_fake

pytestmark = pytest.mark.asyncio

PACKAGE = Path(__file__).resolve().parents[2] / "skyvern_desktop"
T0 = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


class StepClock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def outcome_unknown() -> OutcomeUnknownError:
    return OutcomeUnknownError(
        "A gateway in front of http://skyvern.fake gave up waiting (HTTP 504); the run may"
        " have started.",
        NetworkErrorKind.TIMEOUT,
    )


# ---------------------------------------------------------------------- the API's models


async def test_every_answer_is_the_apis_own_model_built_from_server_json() -> None:
    fake = FakeClient()
    added = fake.add_workflow(
        "Invoices",
        parameters=[
            "url",
            {"key": "pages", "workflow_parameter_type": "integer", "default_value": 3},
        ],
    )
    assert type(added) is Workflow
    assert [p.key for p in added.inputs] == ["url", "pages"]
    assert [p.is_required for p in added.inputs] == [True, False]
    assert added.workflow_permanent_id.startswith("wpid_")
    assert added.created_at is not None and added.created_at.tzinfo is UTC  # naive on the wire

    assert type(await fake.version()) is ServerVersion
    listed = await fake.list_workflows()
    assert [type(w) for w in listed] == [Workflow]
    assert await fake.get_workflow(added.workflow_permanent_id) == added
    assert await fake.list_all_workflows() == [added]

    started = await fake.run_workflow(
        WorkflowRunRequest(workflow_id=added.workflow_permanent_id, parameters={"url": "https://a"})
    )
    assert type(started) is RunResponse
    assert (started.run_id, started.status) == ("wr_fake_1", RunStatus.QUEUED)
    assert started.workflow_permanent_id == added.workflow_permanent_id
    assert started.run_request is not None
    assert started.run_request["parameters"] == {"url": "https://a", "pages": 3}  # resolved
    assert type(await fake.get_run("wr_fake_1")) is RunResponse
    runs = await fake.list_workflow_runs()
    assert [(type(r), r.workflow_run_id, r.workflow_title) for r in runs] == [
        (WorkflowRun, "wr_fake_1", "Invoices")
    ]
    fake.advance("wr_fake_1", "running")
    assert all(type(i) is TimelineItem for i in await fake.get_run_timeline("wr_fake_1"))
    artifact = fake.add_artifact("wr_fake_1")
    assert await fake.list_artifacts("wr_fake_1") == [artifact]
    assert type(artifact) is Artifact
    assert artifact.signed_url is not None
    assert await fake.download(artifact.signed_url) == PNG_1X1

    created = await fake.create_schedule(
        added.workflow_permanent_id,
        ScheduleUpsert(
            cron_expression="0 9 * * 1-5", timezone="Europe/Berlin", parameters={"url": "x"}
        ),
    )
    assert type(created) is ScheduleWithNextRuns
    assert len(created.next_runs) == 5
    assert (
        created.schedule.backend_schedule_id
        == f"local-wf-sched-{created.schedule.workflow_schedule_id}"
    )
    page = await fake.list_schedules()
    assert type(page) is SchedulePage
    assert page.total_count == 1
    assert page.schedules[0].workflow_title == "Invoices"
    assert page.schedules[0].next_run == created.next_runs[0]
    assert [type(s) for s in await fake.list_workflow_schedules(added.workflow_permanent_id)] == [
        WorkflowSchedule
    ]

    code = await fake.send_totp_code("me@example.com", "123456", workflow_run_id="wr_fake_1")
    assert (type(code), code.code) == (TotpCode, "123456")
    message = await fake.send_totp_code("me@example.com", "Your code is 654321, valid 10 min")
    assert message.code == ""  # a long message waits for the server's model to read it
    assert await fake.list_totp_codes(totp_identifier="me@example.com") == [message, code]


async def test_answers_are_copies_so_a_test_cannot_change_the_fakes_state() -> None:
    fake = FakeClient()
    wpid = fake.add_workflow(
        "A", blocks=[{"block_type": "wait", "label": "w"}]
    ).workflow_permanent_id
    first = await fake.get_workflow(wpid)
    first.workflow_definition.blocks[0]["label"] = "changed"
    assert (await fake.get_workflow(wpid)).workflow_definition.blocks[0]["label"] == "w"


# ---------------------------------------------------------------------- runs


async def test_run_records_exactly_one_post_with_the_request() -> None:
    fake = FakeClient()
    wpid = fake.add_workflow("A").workflow_permanent_id
    request = WorkflowRunRequest(workflow_id=wpid, webhook_url="https://hooks.example.com/x")
    run = await fake.run_workflow(request)
    assert fake.calls_to("run_workflow") == [((request,), {})]
    assert fake.run_requests == [request]
    assert fake.runs[run.run_id].request == request
    assert [name for name, _args, _kwargs in fake.calls] == ["run_workflow"]
    with pytest.raises(AttributeError):
        fake.calls_to("run")  # a misspelt endpoint is an error, not an empty list


async def test_runs_advance_when_told() -> None:
    clock = StepClock()
    fake = FakeClient(clock=clock)
    wpid = fake.add_workflow(
        "A", blocks=[{"block_type": "wait", "label": "one"}]
    ).workflow_permanent_id
    run_id = (await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid))).run_id
    clock.now += timedelta(seconds=5)
    running = fake.advance(run_id, RunStatus.RUNNING)
    assert running.started_at == T0 + timedelta(seconds=5)
    assert running.finished_at is None
    clock.now += timedelta(seconds=5)
    fake.advance(run_id, "completed", output={"total": 3})
    done = await fake.get_run(run_id)
    assert (done.status, done.output, done.is_terminal) == ("completed", {"total": 3}, True)
    assert done.finished_at == T0 + timedelta(seconds=10)
    (item,) = await fake.get_run_timeline(run_id)
    assert item.block is not None
    assert (item.block.label, item.block.status) == ("one", "completed")

    failed_id = (await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid))).run_id
    failed = fake.advance(failed_id, "failed", failure_reason="The page did not load")
    assert (failed.status, failed.failure_reason) == ("failed", "The page did not load")
    with pytest.raises(ValueError):
        fake.advance(failed_id, "finished")  # not a status a server sends


async def test_auto_advance_moves_a_run_one_step_per_read() -> None:
    fake = FakeClient(auto_advance=True)
    wpid = fake.add_workflow("A").workflow_permanent_id
    run_id = (await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid))).run_id
    seen = [(await fake.get_run(run_id)).status for _ in range(3)]
    assert seen == ["running", "completed", "completed"]
    assert (await fake.get_run(run_id)).output == {"wait_output": None, "extracted_information": []}


async def test_a_paused_run_asks_its_question_and_goes_on_when_continued() -> None:
    fake = FakeClient()
    blocks = [
        {"block_type": "wait", "label": "first"},
        {"block_type": "human_interaction", "label": "approve", "instructions": "Pay it?"},
        {"block_type": "wait", "label": "last"},
    ]
    wpid = fake.add_workflow("A", blocks=blocks).workflow_permanent_id
    run_id = (await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid))).run_id
    with pytest.raises(NotFoundError):
        await fake.continue_run(run_id)  # only a paused run can go on
    fake.advance(run_id, "paused")
    newest, oldest = await fake.get_run_timeline(run_id)
    assert newest.block is not None and oldest.block is not None
    assert (newest.block.label, newest.block.status) == ("approve", "running")
    assert (newest.block.instructions, newest.block.positive_descriptor) == ("Pay it?", "Approve")
    assert (oldest.block.label, oldest.block.status) == ("first", "completed")
    await fake.continue_run(run_id)
    assert (await fake.get_run(run_id)).status == "running"


async def test_cancel_retry_and_the_servers_refusals() -> None:
    fake = FakeClient()
    wpid = fake.add_workflow("A", parameters=["url"]).workflow_permanent_id
    with pytest.raises(NotFoundError, match="Workflow not found"):
        await fake.run_workflow(WorkflowRunRequest(workflow_id="wpid_nope"))
    # A missing required input: 400, and the run exists, failed (as on a real server).
    with pytest.raises(ValidationError, match="Missing value for parameter url") as refused:
        await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid))
    assert refused.value.status_code == 400
    assert fake.runs["wr_fake_1"].status == "failed"
    with pytest.raises(ValidationError, match="blocked host"):
        await fake.run_workflow(
            WorkflowRunRequest(
                workflow_id=wpid, parameters={"url": "u"}, webhook_url="http://127.0.0.1:9/x"
            )
        )

    run_id = (
        await fake.run_workflow(WorkflowRunRequest(workflow_id=wpid, parameters={"url": "u"}))
    ).run_id
    with pytest.raises(ValidationError, match="Only terminal"):
        await fake.retry_run(run_id)
    await fake.cancel_run(run_id)
    await fake.cancel_run(run_id)  # an ended run keeps its status, and the call succeeds
    assert (await fake.get_run(run_id)).status == "canceled"
    again = await fake.retry_run(run_id)
    assert again.run_request is not None and again.run_request["parameters"] == {"url": "u"}
    (listed,) = await fake.list_workflow_runs(search_key=again.run_id)
    assert listed.retried_from_workflow_run_id == run_id
    with pytest.raises(NotFoundError, match="Task run not found wr_nope"):
        await fake.get_run("wr_nope")
    assert await fake.list_artifacts("wr_nope") == []  # a real server answers 200 []


# ---------------------------------------------------------------------- run list filters


async def test_run_list_honours_the_real_clients_filters_newest_first() -> None:
    clock = StepClock()
    fake = FakeClient(clock=clock)
    a = fake.add_workflow("Alpha", parameters=["city"]).workflow_permanent_id
    b = fake.add_workflow("Beta", parameters=["city"]).workflow_permanent_id
    ids: list[str] = []
    for i, (wpid, city) in enumerate([(a, "Paris"), (b, "Oslo"), (a, "Lima"), (a, "Rome")]):
        clock.now = T0 + timedelta(hours=i)
        run = await fake.run_workflow(
            WorkflowRunRequest(workflow_id=wpid, parameters={"city": city})
        )
        ids.append(run.run_id)
    fake.advance(ids[0], "completed")
    fake.advance(ids[2], "failed")

    async def listed(**filters: Any) -> list[str]:
        return [r.workflow_run_id for r in await fake.list_workflow_runs(**filters)]

    assert await listed() == ids[::-1]
    assert await listed(workflow_permanent_id=a) == [ids[3], ids[2], ids[0]]
    assert await listed(status=["completed", "failed"]) == [ids[2], ids[0]]
    assert await listed(workflow_permanent_id=a, status=["queued"]) == [ids[3]]
    assert await listed(search_key="oSLo") == [ids[1]]  # an input's value, any case
    assert await listed(search_key="beta") == [ids[1]]  # the workflow's title
    assert await listed(page=2, page_size=3) == [ids[0]]
    assert await listed(page=3, page_size=3) == []
    window = {"created_after": T0 + timedelta(hours=1), "created_before": T0 + timedelta(hours=3)}
    assert await listed(workflow_permanent_id=a, **window) == [ids[2]]  # start ≤ t < end
    assert await listed(**window) == ids[::-1]  # only one workflow's runs take dates
    with pytest.raises(ValidationError) as bad:
        await fake.list_workflow_runs(status=["done"])
    assert bad.value.status_code == 422
    assert [e.field for e in bad.value.field_errors] == ["status"]
    with pytest.raises(ValidationError):
        await fake.list_workflow_runs(page=0)


# ---------------------------------------------------------------------- faults, state


async def test_an_injected_fault_raises_once_and_is_recorded() -> None:
    fake = FakeClient()
    wpid = fake.add_workflow("A").workflow_permanent_id
    request = WorkflowRunRequest(workflow_id=wpid)
    fake.fail_next("run_workflow", outcome_unknown())
    with pytest.raises(OutcomeUnknownError):
        await fake.run_workflow(request)
    assert fake.runs == {}  # the request never reached the server
    assert (await fake.run_workflow(request)).run_id == "wr_fake_1"
    assert len(fake.calls_to("run_workflow")) == 2

    # The answer was lost after the run started: the app must find it, not start another.
    fake.fail_next("run_workflow", outcome_unknown(), took_effect=True)
    with pytest.raises(OutcomeUnknownError):
        await fake.run_workflow(request)
    assert list(fake.runs) == ["wr_fake_1", "wr_fake_2"]

    fake.fail_next("list_workflows", AuthError("refused", status_code=403), times=2)
    for _ in range(2):
        with pytest.raises(AuthError):
            await fake.list_all_workflows()  # built on list_workflows, as the real one is
    assert len(await fake.list_all_workflows()) == 1
    with pytest.raises(AttributeError):
        fake.fail_next("run", outcome_unknown())


async def test_a_closed_client_a_missing_key_and_a_refused_key() -> None:
    fake = FakeClient(api_key=None)
    assert not fake.has_key
    assert (await fake.version()).version == "1.0.56"  # needs no key
    with pytest.raises(AuthError):
        await fake.check_key()
    fake = FakeClient()
    await fake.check_key()
    fake.key_accepted = False
    with pytest.raises(AuthError):
        await fake.list_workflows()
    async with fake:
        pass
    assert fake.is_closed
    with pytest.raises(ClientClosedError):
        await fake.version()


async def test_schedules_follow_the_servers_rules() -> None:
    fake = FakeClient()
    wpid = fake.add_workflow("A", parameters=["url"]).workflow_permanent_id
    daily = ScheduleUpsert(cron_expression="0 9 * * *", timezone="UTC", parameters={"url": "u"})
    with pytest.raises(ValidationError, match="Missing schedule parameters"):
        await fake.create_schedule(wpid, daily.model_copy(update={"parameters": None}))
    with pytest.raises(ValidationError, match="at least 5 minutes"):
        await fake.create_schedule(wpid, daily.model_copy(update={"cron_expression": "* * * * *"}))
    with pytest.raises(ValidationError, match="Invalid timezone"):
        await fake.create_schedule(wpid, daily.model_copy(update={"timezone": "Mars/Base"}))
    with pytest.raises(NotFoundError, match="Workflow wpid_nope not found"):
        await fake.create_schedule("wpid_nope", daily)
    sid = (await fake.create_schedule(wpid, daily)).schedule.workflow_schedule_id

    paused = await fake.set_schedule_enabled(wpid, sid, False)
    assert paused.schedule.enabled is False
    assert (await fake.list_schedules(status="paused")).total_count == 1
    assert (await fake.list_schedules(status="active")).total_count == 0
    assert (await fake.list_schedules(status="paused")).schedules[0].next_run is None
    # A full PUT: a name left out is wiped; an enabled left out is kept.
    named = await fake.update_schedule(
        wpid, sid, daily.model_copy(update={"name": "Morning", "enabled": None})
    )
    assert (named.schedule.name, named.schedule.enabled) == ("Morning", False)
    assert (await fake.list_schedules(search="morn")).total_count == 1
    wiped = await fake.update_schedule(wpid, sid, daily.model_copy(update={"enabled": None}))
    assert wiped.schedule.name is None

    soon = datetime.now(UTC) + timedelta(hours=1)
    once = ScheduleUpsert(run_at=soon, timezone="UTC", parameters={"url": "u"})
    one_time = (await fake.create_schedule(wpid, once)).schedule
    with pytest.raises(ValidationError, match="cannot be paused"):
        await fake.set_schedule_enabled(wpid, one_time.workflow_schedule_id, False)

    await fake.delete_schedule(wpid, sid)
    with pytest.raises(NotFoundError, match=f"Schedule {sid} not found"):
        await fake.get_schedule(wpid, sid)
    assert [s.workflow_schedule_id for s in await fake.list_workflow_schedules(wpid)] == [
        one_time.workflow_schedule_id
    ]


async def test_logins_keep_no_secret_and_refuse_like_the_server() -> None:
    fake = FakeClient()
    new = NewCredential(
        name="Bank",
        credential_type=CredentialType.PASSWORD,
        credential={"username": "me", "password": "hunter2", "totp_type": "none"},
    )
    credential = await fake.create_credential(new)
    assert credential.credential == {"username": "me", "totp_type": "none", "totp_identifier": None}
    assert "hunter2" not in repr(fake.credentials)
    session = await fake.create_browser_session(timeout_minutes=30)
    assert session.status == "created"
    assert [s.status for s in await fake.list_browser_sessions()] == ["running"]
    profile = await fake.create_browser_profile(
        "Signed in", browser_session_id=session.browser_session_id
    )
    with pytest.raises(ConflictError):
        await fake.create_browser_profile(
            "Signed in", browser_session_id=session.browser_session_id
        )
    await fake.close_browser_session(session.browser_session_id)
    assert await fake.list_browser_sessions() == []
    with pytest.raises(ConflictError):
        await fake.extend_browser_session(session.browser_session_id, 10)
    await fake.delete_browser_profile(profile.browser_profile_id)
    assert await fake.list_browser_profiles() == []
    assert len(await fake.list_browser_profiles(include_deleted=True)) == 1


# ---------------------------------------------------------------------- the live view


async def test_the_live_view_is_refused_as_by_a_server_without_it_so_panes_fall_back() -> None:
    fake = FakeClient()
    states: list[FeedState] = []
    feed = LiveFeed(
        fake.live_stream("wr_fake_1"),
        run_over=lambda: False,
        on_frame=lambda _frame: None,
        on_state=lambda state, _message: states.append(state),
    )
    await feed.run()  # ends at once: no reconnecting
    assert states == [FeedState.CONNECTING, FeedState.REFUSED]
    control = fake.cdp_input("pbs_fake_1", "desktop-1")
    with pytest.raises(NotFoundError, match="cannot take input"):
        await control.run()
    assert [name for name, _a, _k in fake.calls] == ["live_stream", "cdp_input"]


# ---------------------------------------------------------------------- the session hook


async def test_use_client_makes_the_fake_current_as_connecting_does() -> None:
    fake = FakeClient(server_version="1.0.99")
    session = Session()
    said: list[str] = []
    session.client_changed.connect(lambda: said.append("client_changed"))
    session.state_changed.connect(lambda report: said.append(f"state: {report.state}"))
    session.checked.connect(lambda: said.append("checked"))
    try:
        report = await use_fake(session, fake)
        assert said == [
            "state: connecting",
            "client_changed",
            "state: connected",
            "checked",
        ]
        assert session.client is as_client(fake)
        assert (report.state, report.version) == (ConnectionState.CONNECTED, "1.0.99")
        assert {name for name, _a, _k in fake.calls} == {"version", "check_key"}
        other = FakeClient()
        other.fail_next("version", outcome_unknown())
        report = await use_fake(session, other)
        assert report.state is ConnectionState.OFFLINE
        assert fake.is_closed  # the old client is closed, as connect_to closes it
    finally:
        with contextlib.suppress(Exception):
            await session.aclose()


# ---------------------------------------------------------------------- keeping up


def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: value
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and callable(value)
    }


async def test_the_fake_has_the_real_clients_signatures() -> None:
    """Every public method of ``SkyvernClient``: same parameters, defaults and annotations,
    async (or an async generator) exactly where the real one is; the properties too."""
    real = _public_methods(SkyvernClient)
    fake = _public_methods(FakeClient)
    assert sorted(set(real) - set(fake)) == []
    for name, method in real.items():
        mine = fake[name]
        assert inspect.signature(mine) == inspect.signature(method), name
        assert inspect.iscoroutinefunction(mine) == inspect.iscoroutinefunction(method), name
        assert inspect.isasyncgenfunction(mine) == inspect.isasyncgenfunction(method), name
    for name in ("base_url", "has_key", "is_closed"):
        assert isinstance(inspect.getattr_static(FakeClient, name), property), name
    assert set(real) - {"aclose"} <= API_METHODS


async def test_the_fake_answers_every_client_method_the_app_calls() -> None:
    """Grep the package for ``client.<name>(`` (``self._client.…``, ``session.client.…``):
    every such name that is a ``SkyvernClient`` method exists on the fake, so a new call
    in the app cannot leave the fake behind unnoticed."""
    call = re.compile(r"\b_?client\.([A-Za-z_]\w*)\(")
    called: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        called.update(call.findall(path.read_text(encoding="utf-8")))
    client_methods = {n for n in called if not n.startswith("_") and hasattr(SkyvernClient, n)}
    assert len(client_methods) >= 30, sorted(called)  # the pattern still finds the calls
    assert {"run_workflow", "get_run", "list_workflow_runs", "live_stream"} <= client_methods
    missing = sorted(n for n in client_methods if not callable(getattr(FakeClient, n, None)))
    assert missing == []
