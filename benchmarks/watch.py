"""Watching many runs at once, a 5 MB output, and idle finished panes.

Against a real Skyvern server on loopback (started here from the cached environment unless
SKYVERN_BASE_URL/SKYVERN_API_KEY are set). Figures are printed with ratios against
baselines measured in the same run: the loop's lag with no panes open, and a plain
``json.loads`` of the same 5 MB.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from PySide6.QtWidgets import QApplication

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.core.server.process import LocalServer
from skyvern_desktop.ui.loop import new_event_loop
from skyvern_desktop.ui.runs.page import RunsPage
from skyvern_desktop.ui.runs.tracker import RunTracker
from skyvern_desktop.ui.tasks import TaskRunner
from tests.support.server_build import ServerEnvironment

RUNS = int(os.environ.get("BENCH_WATCHED_RUNS", "100"))
WAIT_SECONDS = 15


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


async def loop_lag(seconds: float, tick: float = 0.01) -> list[float]:
    """How late each 10 ms sleep wakes up: the event loop's lag, in ms."""
    lags: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(max(0.0, (time.perf_counter() - start - tick) * 1000))
    return lags


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1] if values else 0.0


async def main(base_url: str, key: str) -> None:
    tasks = TaskRunner()
    page = RunsPage(tasks)
    page.resize(1280, 800)
    page.show()
    idle = await loop_lag(3.0)
    async with httpx.AsyncClient(base_url=base_url, headers={"x-api-key": key}) as http:
        created = await http.post("/v1/workflows", json={"json_definition": {
            "title": "Benchmark wait", "workflow_definition": {"parameters": [], "blocks": [
                {"block_type": "wait", "label": "pause", "wait_sec": WAIT_SECONDS}]}}})  # fmt: skip
        wpid = created.json()["workflow_permanent_id"]
    async with SkyvernClient(base_url, key) as client:
        started = [
            await client.run_workflow(WorkflowRunRequest(workflow_id=wpid)) for _ in range(RUNS)
        ]
        t0 = time.perf_counter()
        trackers = [RunTracker(run.run_id, client, tasks) for run in started]
        for tracker in trackers:
            tracker.start()
        panes = [page.open_run(tracker, focus=False) for tracker in trackers]
        lags = await loop_lag(WAIT_SECONDS)
        while any(p.run is None or not p.run.is_terminal for p in panes):
            lags += await loop_lag(1.0)
            if time.perf_counter() - t0 > 600:
                break
        elapsed = time.perf_counter() - t0
        await tasks.join()
        requests = [p.tracker.watcher.requests if p.tracker.watcher else 0 for p in panes]
        rss = rss_mb()
        before = sum(requests)
        await asyncio.sleep(10)  # finished panes, sitting idle
        idle_requests = (
            sum(p.tracker.watcher.requests if p.tracker.watcher else 0 for p in panes) - before
        )
        finished = sum(1 for p in panes if p.run is not None and p.run.is_terminal)

    # A 5 MB output: fetched by the real client (from an in-process transport), parsed and
    # shown while a ticker measures how long the loop is blocked at a stretch.
    records = [
        {"id": i, "name": f"Item {i}", "price": i * 1.5, "tags": ["a", "b"], "note": "x" * 60}
        for i in range(42_000)
    ]
    payload = json.dumps(
        {"run_id": "wr_big", "status": "completed", "output": records,
         "created_at": "2026-11-29T10:00:00", "modified_at": "2026-11-29T10:00:01"}
    ).encode()  # fmt: skip
    size_mb = len(payload) / 1048576
    start = time.perf_counter()
    json.loads(payload)
    plain = (time.perf_counter() - start) * 1000
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=payload))
    async with SkyvernClient("http://bench.invalid", "k" * 20, transport=transport) as big:
        ticker = asyncio.ensure_future(loop_lag(3.0, tick=0.005))
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        run = await big.get_run("wr_big")
        panes[0].show_run(run)
        await asyncio.sleep(0)
        shown = (time.perf_counter() - start) * 1000
        big_lags = await ticker

    min_interval = 0.5
    print(f"watched runs: {RUNS} ({finished} reached the end) in {elapsed:.0f} s; RSS {rss:.0f} MB")
    print(
        f"baseline: loop lag with no panes, p99 {p99(idle):5.1f} ms"
        f" (median {statistics.median(idle):.1f})"
    )
    print(f"loop lag with {RUNS} panes watching: p99 {p99(lags):5.1f} ms = "
          f"{p99(lags) / max(p99(idle), 0.1):.1f}x baseline (goal <= 20 ms)")  # fmt: skip
    budget = elapsed / min_interval
    print(f"requests per run: max {max(requests)}, median {statistics.median(requests):.0f} over "
          f"{elapsed:.0f} s (one per polling interval allows {budget:.0f})")  # fmt: skip
    print(f"idle finished panes: {idle_requests} requests in 10 s (goal: 0)")
    print(
        f"{size_mb:.1f} MB output: fetched, parsed and shown in {shown:.0f} ms; the loop's longest"
        f" stall {max(big_lags):.1f} ms (goal <= 50 ms); plain json.loads {plain:.0f} ms"
    )
    await tasks.aclose()


def run() -> None:
    base_url, key = os.environ.get("SKYVERN_BASE_URL"), os.environ.get("SKYVERN_API_KEY")
    server: LocalServer | None = None
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        if not (base_url and key):
            server = LocalServer(environment=ServerEnvironment.default(), data_dir=Path(tmp))
            server.start()
            server.wait_ready()
            base_url, key = server.base_url, server.api_key()
            assert key
        app = QApplication.instance() or QApplication([])
        assert isinstance(app, QApplication)
        try:
            with asyncio.Runner(loop_factory=lambda: new_event_loop(app)) as runner:
                runner.run(main(base_url, key))
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    run()
