"""A fault-injecting fake Skyvern server on a real loopback socket.

Each test scripts the answers it wants, per ``(method, path)``, and reads back every
request the server received::

    server = FakeServer().start()
    server.enqueue("GET", "/v1/version", FakeResponse(500), FakeResponse.of_json({"version": "1"}))
    ...
    assert [r.method for r in server.requests] == ["GET", "GET"]
    server.stop()

Faults: any status, headers and body bytes; a ``delay`` before answering (to make a
client time out); ``drop`` to close the connection without answering; ``truncate_at``
to announce the whole body but send only part of it. A request nobody scripted gets
Skyvern's own ``404 {"detail": "Not Found"}`` and is listed in :attr:`FakeServer.unmatched`.

Only the standard library is used. :meth:`FakeServer.stop` wakes delayed answers,
closes every open connection and joins every thread, so a test leaks nothing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

_CONNECTION_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True, slots=True)
class FakeResponse:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (the request is recorded first)."""
    drop: bool = False
    """Close the connection without sending a single byte back."""
    truncate_at: int | None = None
    """Announce the full ``Content-Length`` but send only this many body bytes, then close."""

    @classmethod
    def of_json(
        cls,
        data: Any,
        status: int = 200,
        *,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> FakeResponse:
        return cls(
            status=status,
            body=json.dumps(data).encode(),
            headers={"content-type": "application/json", **(headers or {})},
            delay=delay,
        )

    @classmethod
    def of_text(
        cls, text: str, status: int = 200, *, content_type: str = "text/plain; charset=utf-8"
    ) -> FakeResponse:
        return cls(status=status, body=text.encode(), headers={"content-type": content_type})


@dataclass(frozen=True, slots=True)
class MultipartPart:
    name: str
    filename: str | None
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the fake received: the path exactly as sent (still percent-encoded)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names; a repeated header is joined with ``", "``."""
    body: bytes
    raw_query: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    def multipart(self) -> dict[str, MultipartPart]:
        """The parts of a ``multipart/form-data`` body, by field name."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise AssertionError(f"not a multipart body: {content_type!r}")
        raw = f"content-type: {content_type}\r\n\r\n".encode() + self.body
        message = BytesParser(policy=HTTP).parsebytes(raw)
        parts: dict[str, MultipartPart] = {}
        for part in message.iter_parts():
            assert isinstance(part, Message)
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True)
            assert isinstance(name, str)
            assert isinstance(payload, bytes)
            parts[name] = MultipartPart(
                name=name,
                filename=filename,
                content_type=part.get_content_type(),
                content=payload,
            )
        return parts


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so none outlives the fake.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeServer, host: str) -> None:
        self.fake = fake
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__((host, 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) is expected; anything else is a bug in the fake.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, _CONNECTION_ERRORS):
            self.fake.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSkyvern/1.0"
    timeout = 30  # a backstop only: stop() closes idle connections itself
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers (if any) end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            raw_query=split.query,
            headers=headers,
            body=body,
        )
        response = self.server.fake._take(request)

        if response.delay and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        if response.drop or self.server.stopping.is_set():
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            names = {k.lower() for k in response.headers}
            for name, value in response.headers.items():
                self.send_header(name, value)
            if "content-length" not in names:
                self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if response.truncate_at is not None:
                self.wfile.write(response.body[: response.truncate_at])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(response.body)
            self.wfile.flush()
        except _CONNECTION_ERRORS:
            self.close_connection = True


_NOT_FOUND = FakeResponse.of_json({"detail": "Not Found"}, 404)


class FakeServer:
    """A scriptable HTTP server on ``127.0.0.1`` and a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._queues: dict[tuple[str, str], deque[FakeResponse]] = {}
        self._defaults: dict[tuple[str, str], FakeResponse] = {}
        self._requests: list[RecordedRequest] = []
        self.unmatched: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- life cycle

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = _HTTPServer(self, self._host)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-skyvern-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.stopping.set()  # wakes delayed answers, which then send nothing
        server.shutdown()  # no new connections after this returns
        thread.join()
        server.close_connections()
        server.server_close()  # joins every handler thread
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("not started")
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, with no trailing slash."""
        return f"http://{self._host}:{self.port}"

    # ----------------------------------------------------------------- scripting

    def enqueue(self, method: str, path: str, *responses: FakeResponse) -> None:
        """Answer the next requests to ``method path`` with ``responses``, in order.

        ``path`` is matched exactly as sent (``/v1/workflows/a%2Fb``), without the query,
        or with it (``/v1/workflows?page=1&page_size=1``), which then wins.
        """
        with self._lock:
            self._queues.setdefault((method.upper(), path), deque()).extend(responses)

    def enqueue_json(self, method: str, path: str, data: Any, status: int = 200) -> None:
        self.enqueue(method, path, FakeResponse.of_json(data, status))

    def always(self, method: str, path: str, response: FakeResponse) -> None:
        """Answer ``method path`` with ``response`` whenever its queue is empty."""
        with self._lock:
            self._defaults[(method.upper(), path)] = response

    def pending(self) -> dict[tuple[str, str], int]:
        """Scripted answers not yet consumed, by route."""
        with self._lock:
            return {route: len(q) for route, q in self._queues.items() if q}

    def _take(self, request: RecordedRequest) -> FakeResponse:
        route = (request.method, request.path)
        exact = (request.method, f"{request.path}?{request.raw_query}")
        with self._lock:
            self._requests.append(request)
            # A route scripted with its query ("/v1/workflows?page=1&page_size=1"), queued or
            # as a default, wins over the bare path, so concurrent calls to one path can be
            # told apart.
            for key in (exact, route):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
                default = self._defaults.get(key)
                if default is not None:
                    return default
            self.unmatched.append(request)
            return _NOT_FOUND

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        method = method.upper()
        return [r for r in self.requests if r.method == method and r.path == path]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self.unmatched.clear()


def free_closed_port(host: str = "127.0.0.1") -> int:
    """A port that nothing listens on (bound once, then released): connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
