"""The path table, query parameters and request bodies, as they arrive at the server."""

from __future__ import annotations

import re

import httpx
import pytest

from skyvern_desktop.api import ProtocolError, ServerError, ValidationError, normalize_base_url
from skyvern_desktop.api import client as client_module
from skyvern_desktop.api.client import MAX_UPLOAD_BYTES
from skyvern_desktop.api.models import ScheduleUpsert
from skyvern_desktop.api.paths import ApiPath
from tests.api.conftest import ClientFactory
from tests.api.support import schedule_with_next_runs_json, workflow_json
from tests.fakes.server import FakeResponse, FakeServer
from tests.fakes.timing import RecordingSleep

UPLOADED = {"s3_uri": "s3://bucket/key", "presigned_url": "https://bucket.test/key?sig=1"}

# ---------------------------------------------------------------------- the table


@pytest.mark.parametrize("path", list(ApiPath), ids=[p.name for p in ApiPath])
def test_no_path_ends_with_a_slash_and_all_are_v1(path: ApiPath) -> None:
    assert not path.value.endswith("/")
    # The two exceptions exist only on the legacy ``/api/v1`` router: a run's live stream,
    # and a workflow run with its inputs and failure categories.
    legacy = {ApiPath.STREAM_RUN: "/api/v1/stream/", ApiPath.WORKFLOW_RUN_DETAIL: "/api/v1/"}
    assert path.value.startswith(legacy.get(path, "/v1/"))
    assert "//" not in path.value
    ids = {"wpid", "run_id", "schedule_id", "session_id", "credential_id", "profile_id",
           "artifact_id"}  # fmt: skip
    assert set(re.findall(r"{(\w+)}", path.value)) <= ids


def test_the_paths_every_server_version_serves() -> None:
    # API doc §0/§1: the hidden /workflows forms are served by old and new servers alike.
    assert ApiPath.RUN_WORKFLOW.value == "/v1/run/workflows"
    assert ApiPath.RUN_RETRY.value == "/v1/workflows/runs/{run_id}/retry"
    assert ApiPath.WORKFLOW_RUNS.value == "/v1/workflows/runs"
    assert ApiPath.WORKFLOW_SCHEDULE.value == "/v1/workflows/{wpid}/schedules/{schedule_id}"
    assert ApiPath.SCHEDULES.value == "/v1/schedules"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("wr_123", "wr_123"),
        ("a/b", "a%2Fb"),
        ("a b", "a%20b"),
        ("x?y#z", "x%3Fy%23z"),
        ("100%", "100%25"),
        ("ünï", "%C3%BCn%C3%AF"),
        ("a+b&c=d", "a%2Bb%26c%3Dd"),
    ],
)
def test_fill_percent_encodes_each_id(value: str, encoded: str) -> None:
    assert ApiPath.RUN.fill(run_id=value) == f"/v1/runs/{encoded}"


def test_fill_with_two_ids() -> None:
    filled = ApiPath.WORKFLOW_SCHEDULE_ENABLE.fill(wpid="wpid/1", schedule_id="wfs 2")
    assert filled == "/v1/workflows/wpid%2F1/schedules/wfs%202/enable"


def test_fill_needs_every_placeholder() -> None:
    with pytest.raises(KeyError):
        ApiPath.WORKFLOW_SCHEDULE.fill(wpid="wpid_1")


@pytest.mark.parametrize("run_id", [".", "..", ""])
def test_ids_that_would_change_the_endpoint_are_refused(run_id: str) -> None:
    # "." and ".." are dot segments httpx removes (cancel_run("..") would post to
    # /v1/cancel); "" would make a trailing slash. None may reach the wire.
    with pytest.raises(ValueError, match="not a valid id"):
        ApiPath.RUN_CANCEL.fill(run_id=run_id)


def test_dots_inside_an_id_are_fine() -> None:
    raw = httpx.URL("http://skyvern.test" + ApiPath.RUN_CANCEL.fill(run_id="wr_1..2")).raw_path
    assert raw == b"/v1/runs/wr_1..2/cancel"


@pytest.mark.asyncio
async def test_slash_in_an_id_reaches_the_server_as_one_segment(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("GET", "/v1/workflows/a%2Fb", workflow_json(1))
    workflow = await make_client().get_workflow("a/b")
    assert workflow.workflow_permanent_id == "wpid_1"
    assert fake_server.requests[0].path == "/v1/workflows/a%2Fb"
    assert fake_server.unmatched == []


# ---------------------------------------------------------------------- base URLs


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("https://api.skyvern.com", "https://api.skyvern.com"),
        ("https://api.skyvern.com/", "https://api.skyvern.com"),
        ("  http://localhost:8000//  ", "http://localhost:8000"),
        ("api.skyvern.com", "https://api.skyvern.com"),
        ("http://host/prefix/", "http://host/prefix"),
    ],
)
def test_normalize_base_url(typed: str, normalized: str) -> None:
    assert normalize_base_url(typed) == normalized


@pytest.mark.asyncio
async def test_base_url_with_a_path_prefix(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("GET", "/skyvern/v1/version", {"version": "1"})
    client = make_client(fake_server.url + "/skyvern/")
    assert client.base_url == fake_server.url + "/skyvern"
    assert (await client.version()).version == "1"
    assert fake_server.requests[0].header("x-api-key") is not None


# ---------------------------------------------------------------------- query parameters


@pytest.mark.asyncio
async def test_list_workflows_query(make_client: ClientFactory, fake_server: FakeServer) -> None:
    fake_server.always("GET", "/v1/workflows", FakeResponse.of_json([]))
    client = make_client()
    await client.list_workflows(page=2, page_size=25, search_key="invoice")
    await client.list_workflows(search_key="")
    first, second = fake_server.requests
    assert first.query == {"page": ["2"], "page_size": ["25"], "search_key": ["invoice"]}
    assert second.query == {"page": ["1"], "page_size": ["10"]}


@pytest.mark.asyncio
async def test_get_workflow_version_query(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/workflows/wpid_1", FakeResponse.of_json(workflow_json(1)))
    client = make_client()
    await client.get_workflow("wpid_1", version=3)
    await client.get_workflow("wpid_1")
    assert [r.query for r in fake_server.requests] == [{"version": ["3"]}, {}]


@pytest.mark.asyncio
async def test_list_workflow_runs_query_and_path(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.always("GET", "/v1/workflows/runs", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/workflows/wpid_1/runs", FakeResponse.of_json([]))
    client = make_client()
    await client.list_workflow_runs(status=["running", "queued"], search_key="abc", page=3)
    await client.list_workflow_runs(workflow_permanent_id="wpid_1", status=[])
    await client.list_workflow_runs(status="failed")
    everything, one_workflow, single = fake_server.requests
    assert everything.path == "/v1/workflows/runs"
    assert everything.query == {
        "page": ["3"],
        "page_size": ["20"],
        "status": ["running", "queued"],
        "search_key": ["abc"],
    }
    assert one_workflow.path == "/v1/workflows/wpid_1/runs"
    assert one_workflow.query == {"page": ["1"], "page_size": ["20"]}
    assert single.query["status"] == ["failed"]


@pytest.mark.asyncio
async def test_other_list_queries(make_client: ClientFactory, fake_server: FakeServer) -> None:
    for path in ("/v1/runs/wr_1/artifacts", "/v1/credentials", "/v1/browser_profiles"):
        fake_server.always("GET", path, FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/browser_sessions", FakeResponse.of_json([]))
    fake_server.always("GET", "/v1/schedules", FakeResponse.of_json({"schedules": []}))
    client = make_client()
    await client.list_artifacts("wr_1", artifact_types=["screenshot_llm", "recording"])
    await client.list_credentials(search="bank", credential_type="password")
    await client.list_browser_profiles(include_deleted=True)
    await client.list_browser_profiles()
    await client.list_browser_sessions()
    await client.list_schedules(page_size=500, status="active", search="daily")
    queries = [r.query for r in fake_server.requests]
    assert queries == [
        {"artifact_type": ["screenshot_llm", "recording"]},
        {
            "page": ["1"],
            "page_size": ["100"],
            "search": ["bank"],
            "credential_type": ["password"],
        },
        {"page": ["1"], "page_size": ["100"], "include_deleted": ["true"]},
        {"page": ["1"], "page_size": ["100"], "include_deleted": ["false"]},
        {},
        # /v1/schedules caps page_size at 100 (else 422).
        {"page": ["1"], "page_size": ["100"], "status": ["active"], "search": ["daily"]},
    ]


# ---------------------------------------------------------------------- pagination


@pytest.mark.asyncio
async def test_list_all_workflows_fetches_until_a_short_page(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue(
        "GET",
        "/v1/workflows",
        FakeResponse.of_json([workflow_json(1), workflow_json(2)]),
        FakeResponse.of_json([workflow_json(3), workflow_json(4)]),
        FakeResponse.of_json([workflow_json(5)]),
    )
    workflows = await make_client().list_all_workflows(page_size=2, search_key="w")
    assert [w.workflow_permanent_id for w in workflows] == [f"wpid_{i}" for i in range(1, 6)]
    assert [r.query["page"] for r in fake_server.requests] == [["1"], ["2"], ["3"]]
    assert all(r.query["page_size"] == ["2"] for r in fake_server.requests)
    assert all(r.query["search_key"] == ["w"] for r in fake_server.requests)
    assert fake_server.pending() == {}


@pytest.mark.asyncio
async def test_list_all_workflows_stops_at_an_empty_page(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue(
        "GET",
        "/v1/workflows",
        FakeResponse.of_json([workflow_json(1), workflow_json(2)]),
        FakeResponse.of_json([]),
    )
    client = make_client()
    pages = [page async for page in client.iter_workflow_pages(page_size=2)]
    assert [len(p) for p in pages] == [2, 0]
    assert len(fake_server.requests) == 2


@pytest.mark.asyncio
async def test_pagination_is_bounded_when_the_server_ignores_page(
    make_client: ClientFactory, fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGES", 4)
    fake_server.always("GET", "/v1/workflows", FakeResponse.of_json([workflow_json(1)]))
    workflows = await make_client().list_all_workflows(page_size=1)
    assert len(workflows) == 4
    assert len(fake_server.requests) == 4


# ---------------------------------------------------------------------- schedules


@pytest.mark.asyncio
async def test_update_schedule_sends_the_full_object_with_nulls(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    path = "/v1/workflows/wpid_1/schedules/wfs_1"
    fake_server.enqueue_json("PUT", path, schedule_with_next_runs_json(enabled=False))
    result = await make_client().update_schedule(
        "wpid_1",
        "wfs_1",
        ScheduleUpsert(cron_expression="0 9 * * 1-5", timezone="Europe/Paris", enabled=False),
    )
    assert result.schedule.enabled is False
    (sent,) = fake_server.requests
    assert (sent.method, sent.path) == ("PUT", path)
    assert sent.json() == {
        "cron_expression": "0 9 * * 1-5",
        "timezone": "Europe/Paris",
        "enabled": False,
        "parameters": None,
        "name": None,
        "description": None,
    }


@pytest.mark.asyncio
async def test_schedule_methods_and_paths(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    base = "/v1/workflows/wpid_1/schedules"
    answer = FakeResponse.of_json(schedule_with_next_runs_json())
    fake_server.enqueue("POST", base, answer)
    fake_server.enqueue("GET", base + "/wfs_1", answer)
    fake_server.enqueue("POST", base + "/wfs_1/enable", answer)
    fake_server.enqueue("POST", base + "/wfs_1/disable", answer)
    fake_server.enqueue("DELETE", base + "/wfs_1", FakeResponse.of_json({"ok": True}))
    fake_server.enqueue_json(
        "GET", base, {"schedules": [schedule_with_next_runs_json()["schedule"]]}
    )
    client = make_client()
    upsert = ScheduleUpsert(
        cron_expression="*/5 * * * *", timezone="UTC", parameters={"url": "x"}, name="n"
    )
    await client.create_schedule("wpid_1", upsert)
    await client.get_schedule("wpid_1", "wfs_1")
    await client.set_schedule_enabled("wpid_1", "wfs_1", True)
    await client.set_schedule_enabled("wpid_1", "wfs_1", False)
    await client.delete_schedule("wpid_1", "wfs_1")
    listed = await client.list_workflow_schedules("wpid_1")
    assert [s.workflow_schedule_id for s in listed] == ["wfs_1"]
    assert [(r.method, r.path) for r in fake_server.requests] == [
        ("POST", base),
        ("GET", base + "/wfs_1"),
        ("POST", base + "/wfs_1/enable"),
        ("POST", base + "/wfs_1/disable"),
        ("DELETE", base + "/wfs_1"),
        ("GET", base),
    ]
    assert fake_server.requests[0].json()["description"] is None
    assert fake_server.requests[0].json()["parameters"] == {"url": "x"}
    assert [r.body for r in fake_server.requests[1:]] == [b""] * 5
    assert sleeper.calls == []


# ---------------------------------------------------------------------- uploads


@pytest.mark.asyncio
async def test_upload_over_ten_megabytes_is_refused_without_a_request(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    with pytest.raises(ValidationError) as caught:
        await make_client().upload_file("/home/me/big.bin", b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert caught.value.status_code == 413
    assert str(caught.value) == "big.bin is 10.0 MB; Skyvern accepts files of up to 10 MB."
    assert fake_server.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("days", [0, 366])
async def test_upload_retention_out_of_range_is_refused_without_a_request(
    make_client: ClientFactory, fake_server: FakeServer, days: int
) -> None:
    with pytest.raises(ValidationError, match="between 1 and 365 days"):
        await make_client().upload_file("a.txt", b"a", retention_days=days)
    assert fake_server.requests == []


@pytest.mark.asyncio
async def test_upload_sends_multipart_with_field_file(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("POST", "/v1/upload_file", {**UPLOADED, "expires_at": None})
    content = bytes(range(256)) * 10
    uploaded = await make_client().upload_file(
        "reports/2026/q3.pdf", content, retention_days=30, content_type="application/pdf"
    )
    assert uploaded.presigned_url == UPLOADED["presigned_url"]
    (sent,) = fake_server.requests
    parts = sent.multipart()
    assert set(parts) == {"file", "retention_days"}
    assert parts["file"].filename == "q3.pdf"
    assert parts["file"].content_type == "application/pdf"
    assert parts["file"].content == content
    assert parts["retention_days"].content == b"30"


@pytest.mark.asyncio
async def test_upload_of_exactly_ten_megabytes_is_sent(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("POST", "/v1/upload_file", UPLOADED)
    await make_client().upload_file("edge.bin", b"\1" * MAX_UPLOAD_BYTES)
    parts = fake_server.requests[0].multipart()
    assert set(parts) == {"file"}
    assert len(parts["file"].content) == MAX_UPLOAD_BYTES


@pytest.mark.asyncio
async def test_upload_failure_is_not_retried(
    make_client: ClientFactory, fake_server: FakeServer, sleeper: RecordingSleep
) -> None:
    # What local storage answers (API doc §1.10).
    fake_server.always(
        "POST",
        "/v1/upload_file",
        FakeResponse.of_json({"error": "Unexpected error: NotImplementedError"}, 500),
    )
    with pytest.raises(ServerError) as caught:
        await make_client().upload_file("a.txt", b"a")
    assert caught.value.server_message == "Unexpected error: NotImplementedError"
    assert len(fake_server.requests) == 1
    assert sleeper.calls == []


@pytest.mark.asyncio
async def test_upload_reply_without_urls_is_a_protocol_error(
    make_client: ClientFactory, fake_server: FakeServer
) -> None:
    fake_server.enqueue_json("POST", "/v1/upload_file", {"file_id": "f_1"})
    with pytest.raises(ProtocolError, match="s3_uri"):
        await make_client().upload_file("a.txt", b"a")
