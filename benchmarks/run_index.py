"""The local index of runs over 10,000 runs on a real Skyvern server, against a plain httpx
script measured in the same run.

- **Seeding.** Runs take seconds each through the API, so :file:`_seed_runs.py` writes
  them through the server's own database layer (its ``WorkflowRunModel`` and ``AgentDB``
  session), with the server's Python, on the server's SQLite file: statuses, times over
  90 days, failure reasons and categories. The server lists them as any run.
- **Counting.** Every request goes through a counting proxy on loopback in front of the
  server; the figures are the proxy's counts, not the app's own.
- **First sync**: requests, and time, of a sync into an empty index, against a plain httpx
  script that lists every run (pages of the same size, each parsed as JSON). Goals: ≤ 1.1×
  the requests, ≤ 1.2× the time. Median of ``BENCH_RUNS`` (default 3) of each, alternated.
- **Idle hour**: an hour with nothing changing, on a virtual clock (each sync is real, the
  wait between them is ``next_delay``'s): list requests counted. Goal: ≤ 60.

    python benchmarks/run_index.py   (BENCH_RUNS_SEEDED to change the 10,000)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skyvern_desktop.api.client import SkyvernClient  # noqa: E402
from skyvern_desktop.core.runs import index_sync  # noqa: E402
from skyvern_desktop.core.runs.index import RunIndex  # noqa: E402
from skyvern_desktop.core.server.process import LocalServer  # noqa: E402
from tests.support.server_build import ServerEnvironment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SEEDED = int(os.environ.get("BENCH_RUNS_SEEDED", "10000"))
LIST_PATH = b"GET /v1/workflows/runs"


class CountingProxy:
    """A TCP proxy on loopback that counts the run-list requests passing through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.list_requests = 0
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, count: bool) -> None:
            tail = b""
            try:
                while data := await src.read(65536):
                    if count:  # GETs have no body: each request starts with its line
                        seen = tail + data
                        self.list_requests += seen.count(LIST_PATH)
                        self.requests += seen.count(b" HTTP/1.1\r\n")
                        tail = data[-40:]
                        self.list_requests -= tail.count(LIST_PATH)
                        self.requests -= tail.count(b" HTTP/1.1\r\n")
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                if count and tail:
                    self.list_requests += tail.count(LIST_PATH)
                    self.requests += tail.count(b" HTTP/1.1\r\n")
                dst.close()

        await asyncio.gather(pump(reader, up_w, True), pump(up_r, writer, False))


async def plain_script(base_url: str, key: str) -> tuple[int, float, int]:
    """Every run, listed by the plainest client: (pages, seconds, runs)."""
    started = time.perf_counter()
    pages = total = 0
    async with httpx.AsyncClient(base_url=base_url, headers={"x-api-key": key}) as http:
        page = 1
        while True:
            answer = await http.get(
                "/v1/workflows/runs", params={"page": page, "page_size": index_sync.PAGE_SIZE}
            )
            answer.raise_for_status()
            runs = json.loads(answer.content)
            pages += 1
            total += len(runs)
            if len(runs) < index_sync.PAGE_SIZE:
                break
            page += 1
    return pages, time.perf_counter() - started, total


async def first_sync(base_url: str, key: str, folder: Path, n: int) -> tuple[float, int]:
    index = RunIndex(folder / f"index-{n}.sqlite3", base_url)
    started = time.perf_counter()
    async with SkyvernClient(base_url, key) as client:
        await index_sync.sync(client, index)
    took = time.perf_counter() - started
    held = index.count()
    index.close()
    return took, held


async def idle_hour(base_url: str, key: str, folder: Path, proxy: CountingProxy) -> int:
    """List requests over an hour of virtual time with nothing changing."""
    index = RunIndex(folder / "index-idle.sqlite3", base_url)
    async with SkyvernClient(base_url, key) as client:
        await index_sync.sync(client, index)  # the first sync is not the idle hour's
        before = proxy.list_requests
        elapsed = 0.0
        while elapsed < 3600:
            await index_sync.sync(client, index)
            elapsed += index_sync.next_delay(index, fresh_wanted=False, failed=False)
    index.close()
    return proxy.list_requests - before


def seed(server: LocalServer, environment: ServerEnvironment, key: str) -> None:
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": key}, timeout=60) as http:
        made = []
        for i in range(4):
            answer = http.post("/v1/workflows", json={"json_definition": {
                "title": f"Index benchmark {i}",
                "workflow_definition": {"parameters": [], "blocks": [
                    {"block_type": "wait", "label": "pause", "wait_sec": 1}]},
            }})  # fmt: skip
            answer.raise_for_status()
            made.append(answer.json())
    org = made[0]["organization_id"]
    database = f"sqlite+aiosqlite:///{server.data_dir / 'data.db'}"
    pairs = [f"{w['workflow_id']}:{w['workflow_permanent_id']}" for w in made]
    subprocess.run(
        [str(environment.python), str(ROOT / "benchmarks" / "_seed_runs.py"), database, org,
         str(SEEDED), *pairs],
        check=True, cwd=server.data_dir,
    )  # fmt: skip


async def measure(server: LocalServer, key: str, folder: Path) -> list[str]:
    proxy = CountingProxy(int(server.base_url.rsplit(":", 1)[1]))
    await proxy.start()
    via = f"http://127.0.0.1:{proxy.port}"
    try:
        plain: list[tuple[int, float, int]] = []
        ours: list[tuple[int, float, int]] = []
        for n in range(RUNS):
            before = proxy.list_requests
            pages, took, total = await plain_script(via, key)
            assert proxy.list_requests - before == pages
            plain.append((pages, took, total))
            before = proxy.list_requests
            took, held = await first_sync(via, key, folder, n)
            ours.append((proxy.list_requests - before, took, held))
        idle = await idle_hour(via, key, folder, proxy)
    finally:
        await proxy.stop()
    assert all(held == total for (_, _, held), (_, _, total) in zip(ours, plain, strict=True))
    median_pages = statistics.median(p for p, _, _ in plain)
    requests = statistics.median(r for r, _, _ in ours)
    t_plain = statistics.median(t for _, t, _ in plain)
    t_ours = statistics.median(t for _, t, _ in ours)
    return [
        f"runs listed: {plain[0][2]:,}; page size {index_sync.PAGE_SIZE}; median of {RUNS}",
        f"baseline: plain httpx script   {median_pages:5.0f} requests, {t_plain * 1000:7.0f} ms",
        f"first sync into an empty index {requests:5.0f} requests = {requests / median_pages:4.2f}x"
        " (goal <= 1.10x)",
        f"                               {t_ours * 1000:7.0f} ms = {t_ours / t_plain:4.2f}x"
        " (goal <= 1.20x; written to SQLite as it goes)",
        f"idle hour (virtual clock)      {idle:5d} list requests (goal <= 60)",
    ]


def main() -> None:
    environment = ServerEnvironment.default()
    if not environment.is_installed():
        sys.exit("no Skyvern server: run scripts/skyvern-test-server ensure")
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        server = LocalServer(environment=environment, data_dir=Path(tmp) / "server")
        server.start()
        try:
            server.wait_ready()
            key = server.api_key()
            assert key
            seed(server, environment, key)
            report = asyncio.run(measure(server, key, Path(tmp)))
        finally:
            server.stop()
    print("\n".join(report))


if __name__ == "__main__":
    main()
