"""Checking a connection against the fake server, and what each state means."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Coroutine, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from skyvern_desktop.api import NO_RETRY, SkyvernClient
from skyvern_desktop.api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    NetworkErrorKind,
    NotFoundError,
    OutcomeUnknownError,
    ProtocolError,
    ServerError,
    SkyvernError,
)
from skyvern_desktop.core.connection.check import (
    ConnectionReport,
    ConnectionState,
    check_connection,
    state_for_error,
)
from tests.api.support import API_KEY, workflow_json
from tests.fakes.server import FakeResponse, FakeServer, free_closed_port

_CREDENTIALS_REFUSED = {"detail": "Could not validate credentials"}


def _client(url: str, key: str | None = API_KEY) -> SkyvernClient:
    return SkyvernClient(url, key, retry=NO_RETRY, timeout=5.0)


# ---------------------------------------------------------------------- against the fake


@pytest.mark.asyncio
async def test_version_and_workflows_answering_is_connected(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    fake_server.enqueue_json("GET", "/v1/workflows", [workflow_json()])
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report == ConnectionReport(
        ConnectionState.CONNECTED, "Connected to Skyvern 1.0.56.", "1.0.56"
    )
    assert report.ok
    listed = fake_server.requests_to("GET", "/v1/workflows")
    assert len(listed) == 1
    assert listed[0].header("x-api-key") == API_KEY
    assert listed[0].query.get("page_size") == ["1"]
    assert fake_server.unmatched == []


@pytest.mark.asyncio
async def test_an_empty_workflow_list_is_still_connected(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "2.0"})
    fake_server.enqueue_json("GET", "/v1/workflows", [])
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.CONNECTED
    assert report.version == "2.0"


@pytest.mark.asyncio
async def test_a_refused_key_is_bad_key_with_the_servers_words(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    fake_server.enqueue_json("GET", "/v1/workflows", _CREDENTIALS_REFUSED, status=403)
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.BAD_KEY
    assert not report.ok
    assert "Could not validate credentials" in report.message
    assert "API key" in report.message
    assert API_KEY not in report.message
    assert report.version == "1.0.56"


@pytest.mark.asyncio
async def test_a_bare_401_is_bad_key_too(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    fake_server.enqueue("GET", "/v1/workflows", FakeResponse(401))
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.BAD_KEY
    assert "the server said" not in report.message


@pytest.mark.asyncio
async def test_without_a_key_the_list_is_not_asked_for(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    async with _client(fake_server.url, key=None) as client:
        report = await check_connection(client, has_key=False)
    assert report.state is ConnectionState.NO_KEY
    assert report.version == "1.0.56"
    assert "API key" in report.message
    assert [r.path for r in fake_server.requests] == ["/v1/version"]
    assert fake_server.requests[0].header("x-api-key") is None


@pytest.mark.asyncio
async def test_an_html_page_is_not_skyvern(fake_server: FakeServer) -> None:
    page = "<!doctype html><html><body>Welcome to nginx!</body></html>"
    fake_server.enqueue("GET", "/v1/version", FakeResponse.of_text(page, content_type="text/html"))
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.NOT_SKYVERN
    assert fake_server.url in report.message
    assert "Check the address" in report.message
    assert "<html>" not in report.message
    assert report.version is None


@pytest.mark.asyncio
async def test_json_of_another_shape_is_not_skyvern(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"status": "ok"})
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.NOT_SKYVERN


@pytest.mark.asyncio
async def test_version_not_found_is_not_skyvern(fake_server: FakeServer) -> None:
    # Nothing scripted: the fake answers 404 {"detail": "Not Found"}, as a non-Skyvern app would.
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.NOT_SKYVERN
    assert "/v1/version" in [r.path for r in fake_server.unmatched]


@pytest.mark.asyncio
async def test_a_redirect_is_not_skyvern(fake_server: FakeServer) -> None:
    fake_server.enqueue(
        "GET",
        "/v1/version",
        FakeResponse(301, headers={"location": "https://127.0.0.1/v1/version"}),
    )
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.NOT_SKYVERN


@pytest.mark.asyncio
async def test_a_failing_server_is_an_error(fake_server: FakeServer) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"detail": "boom"}, status=500)
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.ERROR
    assert "HTTP 500" in report.message
    assert len(fake_server.requests_to("GET", "/v1/version")) == 1  # NO_RETRY


@pytest.mark.asyncio
async def test_a_list_that_fails_after_the_version_keeps_the_version(
    fake_server: FakeServer,
) -> None:
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    fake_server.enqueue("GET", "/v1/workflows", FakeResponse(drop=True))
    async with _client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.OFFLINE
    assert report.version == "1.0.56"


@pytest.mark.asyncio
async def test_a_closed_port_is_offline() -> None:
    url = f"http://127.0.0.1:{free_closed_port()}"
    async with _client(url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.OFFLINE
    assert url in report.message
    assert "refused" in report.message
    assert report.version is None


# ---------------------------------------------------------------------- TLS
#
# check_connection asks for the version and checks the key at the same time, and cancels
# the key check when the version already failed. A request cancelled in the middle of a
# TLS handshake leaves its socket to the garbage collector (a ResourceWarning, which this
# suite turns into an error in whatever test happens to collect it). So the TLS checks run
# on a loop of their own, collect the garbage before they end and keep its warnings here.


def _run_contained(
    coro: Coroutine[Any, Any, ConnectionReport],
) -> tuple[ConnectionReport, list[str]]:
    """Run ``coro`` on a fresh loop; return its report and every ResourceWarning it caused."""
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        report = asyncio.run(coro)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return report, leaks


async def _check(url: str) -> ConnectionReport:
    async with _client(url) as client:
        return await check_connection(client)


@pytest.fixture(scope="module")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


class _VersionHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"version": "1.0.56"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TLSServer(HTTPServer):
    """Does each handshake with a time limit, so a client that stops half-way (or never
    closes its socket) cannot block the server, and so the test, for good."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(("127.0.0.1", 0), _VersionHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(2.0)
        try:
            return self.context.wrap_socket(sock, server_side=True), address
        except BaseException:
            sock.close()
            raise


@pytest.fixture
def https_server(self_signed_cert: tuple[Path, Path]) -> Iterator[str]:
    """An https server on loopback whose certificate no one trusts."""
    cert, key = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _TLSServer(context)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="tls-test-server"
    )
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        assert not thread.is_alive()


def test_an_untrusted_certificate_is_a_tls_problem(https_server: str) -> None:
    report, _ = _run_contained(_check(https_server))
    assert report.state is ConnectionState.TLS
    assert "certificate" in report.message
    assert https_server in report.message
    assert report.version is None


@pytest.mark.asyncio
async def test_the_https_server_itself_works_when_its_certificate_is_trusted(
    https_server: str, self_signed_cert: tuple[Path, Path]
) -> None:
    # Shows that the TLS failure above is the certificate's, not a broken test server.
    cert, _ = self_signed_cert
    trusting = httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
    async with SkyvernClient(https_server, None, retry=NO_RETRY, transport=trusting) as client:
        version = await client.version()
    assert version.version == "1.0.56"


def test_https_to_a_plain_http_server_is_a_tls_problem(fake_server: FakeServer) -> None:
    url = fake_server.url.replace("http://", "https://")
    report, _ = _run_contained(_check(url))
    assert report.state is ConnectionState.TLS
    assert "certificate" in report.message
    assert url in report.message


class _HalfTLSPeer:
    """Takes two connections. Once both clients have sent their TLS hello, it answers the
    first (the version request: it connects first) with plain HTTP, so that request fails
    with a TLS error while the second (the key check) is still in its handshake. The
    second is closed a little later, so a client that waits for it is not stuck."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(5.0)
        self.port: int = self._listener.getsockname()[1]
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, name="half-tls-peer")
        self._thread.start()

    def _serve(self) -> None:
        conns: list[socket.socket] = []
        try:
            for _ in range(2):
                conn, _address = self._listener.accept()
                conn.settimeout(5.0)
                conns.append(conn)
            for conn in conns:
                conn.recv(65536)  # the ClientHello
            conns[0].sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            conns[0].close()
            time.sleep(0.5)
        except OSError as exc:
            self.errors.append(exc)
        finally:
            for conn in conns:
                conn.close()

    def close(self) -> None:
        self._thread.join(10)
        self._listener.close()
        assert not self._thread.is_alive()
        assert not self.errors, self.errors


def test_a_tls_failure_leaves_no_socket_behind() -> None:
    peer = _HalfTLSPeer()
    try:
        report, leaks = _run_contained(_check(f"https://127.0.0.1:{peer.port}"))
    finally:
        peer.close()
    assert report.state is ConnectionState.TLS
    assert leaks == []


# ---------------------------------------------------------------------- state_for_error


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (AuthError("refused", status_code=403), ConnectionState.BAD_KEY),
        (AuthError("refused", status_code=401), ConnectionState.BAD_KEY),
        (NetworkError("tls", NetworkErrorKind.TLS), ConnectionState.TLS),
        (NetworkError("refused", NetworkErrorKind.REFUSED), ConnectionState.OFFLINE),
        (NetworkError("dns", NetworkErrorKind.DNS), ConnectionState.OFFLINE),
        (NetworkError("slow", NetworkErrorKind.TIMEOUT), ConnectionState.OFFLINE),
        (NetworkError("other", NetworkErrorKind.OTHER), ConnectionState.OFFLINE),
        (OutcomeUnknownError("maybe", NetworkErrorKind.OTHER), ConnectionState.OFFLINE),
        (OutcomeUnknownError("maybe", NetworkErrorKind.TLS), ConnectionState.TLS),
        (ProtocolError("not json"), ConnectionState.NOT_SKYVERN),
        (NotFoundError("gone", status_code=404), ConnectionState.ERROR),
        (ServerError("boom", status_code=500), ConnectionState.ERROR),
        (ApiError("teapot", status_code=418), ConnectionState.ERROR),
        (SkyvernError("anything"), ConnectionState.ERROR),
        (RuntimeError("unexpected"), ConnectionState.ERROR),
    ],
)
def test_state_for_error(error: BaseException, state: ConnectionState) -> None:
    assert state_for_error(error) is state


# ---------------------------------------------------------------------- states


def test_every_state_has_a_distinct_label() -> None:
    labels = [state.label for state in ConnectionState]
    assert all(labels)
    assert len(set(labels)) == len(labels)
    assert ConnectionState.CONNECTED.label == "Connected"
    assert ConnectionState.BAD_KEY.label == "Bad API key"
    assert ConnectionState.TLS.label == "TLS problem"
    assert ConnectionState.NOT_SKYVERN.label == "Not a Skyvern server"


def test_which_states_are_problems() -> None:
    problems = {state for state in ConnectionState if state.is_problem}
    assert problems == {
        ConnectionState.NO_KEY,
        ConnectionState.BAD_KEY,
        ConnectionState.OFFLINE,
        ConnectionState.TLS,
        ConnectionState.NOT_SKYVERN,
        ConnectionState.ERROR,
    }


def test_only_connected_is_ok() -> None:
    for state in ConnectionState:
        assert ConnectionReport(state, "m").ok is (state is ConnectionState.CONNECTED)


# ---------------------------------------------------------------------- passing faults

GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def _flaky_client(url: str) -> SkyvernClient:
    from skyvern_desktop.api import RetryPolicy
    from tests.fakes.timing import FakeClock, RecordingSleep

    clock = FakeClock()
    return SkyvernClient(
        url, API_KEY, retry=RetryPolicy(max_attempts=4, total_budget=30.0),
        sleep=RecordingSleep(clock), clock=clock,
    )  # fmt: skip


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "fault",
    [
        FakeResponse.of_text(GATEWAY_PAGE, status=502, content_type="text/html"),
        FakeResponse.of_text(GATEWAY_PAGE, status=200, content_type="text/html"),
        FakeResponse.of_text('{"versi', status=200, content_type="application/json"),
    ],
    ids=["gateway page 502", "gateway page 200", "body cut short"],
)
async def test_a_passing_fault_is_asked_again_before_anything_is_concluded(
    fake_server: FakeServer, fault: FakeResponse
) -> None:
    """A flaky path answers once with a gateway's page or half a body: the check asks
    again and finds the Skyvern server, instead of concluding it is something else."""
    fake_server.enqueue("GET", "/v1/version", fault)
    fake_server.enqueue_json("GET", "/v1/version", {"version": "1.0.56"})
    fake_server.enqueue("GET", "/v1/workflows", fault)
    fake_server.enqueue_json("GET", "/v1/workflows", [])
    async with _flaky_client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.CONNECTED, report.message
    assert len(fake_server.requests_to("GET", "/v1/version")) == 2


@pytest.mark.asyncio
async def test_a_server_that_keeps_answering_something_else_is_not_skyvern(
    fake_server: FakeServer,
) -> None:
    page = FakeResponse.of_text(GATEWAY_PAGE, status=200, content_type="text/html")
    fake_server.always("GET", "/v1/version", page)
    async with _flaky_client(fake_server.url) as client:
        report = await check_connection(client)
    assert report.state is ConnectionState.NOT_SKYVERN
    assert len(fake_server.requests_to("GET", "/v1/version")) == 4  # asked, then judged
