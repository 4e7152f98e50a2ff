"""The fake server itself: if it lied, every test built on it would be worthless."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.fakes.server import FakeResponse, FakeServer, free_closed_port


def test_scripted_answers_are_served_in_order_and_requests_recorded(
    fake_server: FakeServer,
) -> None:
    fake_server.enqueue(
        "POST",
        "/v1/thing",
        FakeResponse(status=201, body=b"first", headers={"x-one": "1"}),
        FakeResponse.of_json({"n": 2}, 202),
    )
    with httpx.Client(base_url=fake_server.url) as http:
        first = http.post("/v1/thing?a=1&a=2&b=", content=b"payload", headers={"x-api-key": "k"})
        second = http.post("/v1/thing", json={"x": 1})
        third = http.post("/v1/thing")

    assert (first.status_code, first.content, first.headers["x-one"]) == (201, b"first", "1")
    assert (second.status_code, second.json()) == (202, {"n": 2})
    assert third.status_code == 404
    assert third.json() == {"detail": "Not Found"}
    recorded = fake_server.requests
    assert [r.method for r in recorded] == ["POST", "POST", "POST"]
    assert recorded[0].path == "/v1/thing"
    assert recorded[0].query == {"a": ["1", "2"], "b": [""]}
    assert recorded[0].body == b"payload"
    assert recorded[0].header("X-API-Key") == "k"
    assert recorded[1].json() == {"x": 1}
    assert fake_server.unmatched == [recorded[2]]
    assert fake_server.pending() == {}


def test_always_answers_when_the_queue_is_empty(fake_server: FakeServer) -> None:
    fake_server.enqueue("GET", "/a", FakeResponse(status=500))
    fake_server.always("GET", "/a", FakeResponse(status=204))
    with httpx.Client(base_url=fake_server.url) as http:
        codes = [http.get("/a").status_code for _ in range(3)]
    assert codes == [500, 204, 204]


def test_drop_closes_without_answering(fake_server: FakeServer) -> None:
    fake_server.enqueue("GET", "/drop", FakeResponse(drop=True))
    with httpx.Client(base_url=fake_server.url) as http, pytest.raises(httpx.RemoteProtocolError):
        http.get("/drop")
    assert len(fake_server.requests_to("GET", "/drop")) == 1


def test_truncated_body_is_a_protocol_failure(fake_server: FakeServer) -> None:
    fake_server.enqueue("GET", "/t", FakeResponse(body=b"0123456789", truncate_at=4))
    with httpx.Client(base_url=fake_server.url) as http, pytest.raises(httpx.RemoteProtocolError):
        http.get("/t")


def test_delay_causes_a_client_timeout_and_stop_does_not_wait_for_it() -> None:
    server = FakeServer().start()
    server.enqueue("GET", "/slow", FakeResponse(delay=30.0))
    with (
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(5.0, read=0.1)) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get("/slow")
    assert len(server.requests) == 1
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2.0
    assert not server.running


def test_stop_closes_idle_keep_alive_connections_and_joins_threads() -> None:
    before = set(threading.enumerate())
    server = FakeServer().start()
    server.always("GET", "/ok", FakeResponse(status=200, body=b"ok"))
    http = httpx.Client(base_url=server.url)
    try:
        assert http.get("/ok").content == b"ok"  # leaves a kept-alive connection open
        server.stop()
        assert set(threading.enumerate()) - before == set()
    finally:
        http.close()


def test_chunked_request_bodies_are_decoded(fake_server: FakeServer) -> None:
    fake_server.always("POST", "/c", FakeResponse(status=204))
    with httpx.Client(base_url=fake_server.url) as http:
        http.post("/c", content=iter([b"ab", b"cde"]))
    (recorded,) = fake_server.requests
    assert recorded.header("transfer-encoding") == "chunked"
    assert recorded.body == b"abcde"


def test_multipart_bodies_can_be_read_back(fake_server: FakeServer) -> None:
    fake_server.always("POST", "/u", FakeResponse(status=204))
    with httpx.Client(base_url=fake_server.url) as http:
        http.post(
            "/u",
            files={"file": ("a.txt", b"\x00\xffdata", "text/plain")},
            data={"retention_days": "7"},
        )
    parts = fake_server.requests[0].multipart()
    assert parts["file"].filename == "a.txt"
    assert parts["file"].content == b"\x00\xffdata"
    assert parts["file"].content_type == "text/plain"
    assert parts["retention_days"].content == b"7"


def test_two_instances_have_distinct_origins(
    fake_server: FakeServer, other_server: FakeServer
) -> None:
    assert fake_server.port != other_server.port
    other_server.always("GET", "/x", FakeResponse.of_json({"who": "other"}))
    with httpx.Client() as http:
        assert http.get(other_server.url + "/x").json() == {"who": "other"}
    assert fake_server.requests == []
    assert [(r.method, r.path) for r in other_server.requests] == [("GET", "/x")]


def test_free_closed_port_refuses_connections() -> None:
    port = free_closed_port()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(ConnectionRefusedError),
    ):
        sock.connect(("127.0.0.1", port))


@pytest.mark.asyncio
async def test_a_route_with_its_query_wins_over_the_bare_path(fake_server: FakeServer) -> None:
    fake_server.always("GET", "/v1/workflows?page=1&page_size=1", FakeResponse.of_json(["check"]))
    fake_server.enqueue_json("GET", "/v1/workflows", ["first"])
    fake_server.enqueue_json("GET", "/v1/workflows", ["second"])
    async with httpx.AsyncClient(base_url=fake_server.url) as http:
        check = await http.get("/v1/workflows", params={"page": 1, "page_size": 1})
        first = await http.get("/v1/workflows", params={"page": 1, "page_size": 20})
        again = await http.get("/v1/workflows", params={"page": 1, "page_size": 1})
        second = await http.get("/v1/workflows")
    assert [r.json() for r in (check, first, again, second)] == [
        ["check"],
        ["first"],
        ["check"],
        ["second"],
    ]
