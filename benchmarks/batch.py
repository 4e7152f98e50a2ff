"""A batch of rows run against a real server: the app's batch runner against a plain script.

Against a real Skyvern server on loopback (started here from the cached environment unless
SKYVERN_BASE_URL/SKYVERN_API_KEY are set). ``BENCH_ROWS`` rows (1000), each one run of a
workflow with one string input and one ``wait`` block, at most 10 running at once:

- baseline: a plain asyncio + httpx script, measured in this same run: an
  ``asyncio.Semaphore(10)``; each row POSTs its run, then reads it every second until it
  ends;
- the app: :class:`~skyvern_desktop.core.batch.rows.runner.BatchRunner` with its SQLite store and
  the app's client, in a child process on the app's own loop (Qt offscreen, qasync), a
  ticker beside it measuring the loop's lag.

A first, smaller app batch (a tenth of the rows) warms the server up and gives the memory
figure something to compare with: peak RSS at ``BENCH_ROWS`` rows against a tenth of them.
Every batch has its workflow of its own, so the server's run lists never mix.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from PySide6.QtWidgets import QApplication

from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.core.batch.rows import BatchRow, RowState
from skyvern_desktop.core.batch.runner import BatchRunner
from skyvern_desktop.core.batch.store import BatchStore
from skyvern_desktop.core.server.process import LocalServer
from skyvern_desktop.ui.loop import new_event_loop
from tests.support.server_build import ServerEnvironment

ROWS = int(os.environ.get("BENCH_ROWS", "1000"))
SMALL = max(10, ROWS // 10)
CONCURRENCY = 10
WAIT_SECONDS = 1
POLL_SECONDS = 1.0
TERMINAL = frozenset({"completed", "failed", "terminated", "canceled", "timed_out"})
TICK = 0.01
# A control: a bare Python process sleeping 10 ms at a time beside the app's batch, to tell
# the app's own stalls from a machine the server keeps busy (2 cores shared with it).
CONTROL = """
import sys, threading, time
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
lags = []
while not done.is_set():
    t = time.perf_counter(); time.sleep(0.01); lags.append((time.perf_counter() - t - 0.01) * 1000)
lags.sort(); print(lags[max(0, int(len(lags) * 0.99) - 1)] if lags else 0.0)
"""


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)] if values else 0.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def lag_while(work: Coroutine[Any, Any, None]) -> list[float]:
    """Run ``work``; meanwhile, how late each 10 ms sleep wakes up (the loop's lag, in ms)."""
    task = asyncio.ensure_future(work)
    lags: list[float] = []
    while not task.done():
        start = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(max(0.0, (time.perf_counter() - start - TICK) * 1000))
    await task
    return lags


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def create_workflow(base_url: str, key: str, tag: str) -> str:
    """A workflow of its own for one batch (as tests/integration/helpers.py creates them)."""
    with httpx.Client(base_url=base_url, headers={"x-api-key": key}, timeout=60) as http:
        response = http.post("/v1/workflows", json={"json_definition": {
            "title": f"Benchmark batch {tag} {uuid.uuid4().hex[:8]}",
            "workflow_definition": {
                "parameters": [{"parameter_type": "workflow", "key": "name",
                                "workflow_parameter_type": "string"}],
                "blocks": [{"block_type": "wait", "label": "w", "wait_sec": WAIT_SECONDS}],
            },
        }})  # fmt: skip
        response.raise_for_status()
        wpid: str = response.json()["workflow_permanent_id"]
        return wpid


# ---------------------------------------------------------------------- the baseline


async def baseline(base_url: str, key: str, wpid: str, rows: int) -> dict[str, Any]:
    """Plain asyncio + httpx: 10 at a time, each run POSTed, then read every second until
    it ends. Counts its requests; a ticker measures its loop's lag alike."""
    slots = asyncio.Semaphore(CONCURRENCY)
    requests = 0
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base_url, headers={"x-api-key": key}, timeout=60) as http:

        async def one(i: int) -> None:
            nonlocal requests
            async with slots:
                requests += 1
                response = await http.post(
                    "/v1/run/workflows",
                    json={"workflow_id": wpid, "parameters": {"name": f"row {i}"}},
                )
                response.raise_for_status()
                run = response.json()
                run_id, status = run["run_id"], run["status"]
                while status not in TERMINAL:
                    await asyncio.sleep(POLL_SECONDS)
                    requests += 1
                    response = await http.get(f"/v1/runs/{run_id}")
                    response.raise_for_status()
                    status = response.json()["status"]
                statuses[status] += 1

        async def every_row() -> None:
            await asyncio.gather(*(one(i) for i in range(rows)))

        cpu0, t0 = cpu_seconds(), time.perf_counter()
        lags = await lag_while(every_row())
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    return {
        "elapsed": elapsed, "requests": requests, "statuses": dict(statuses), "cpu": cpu,
        "lag_p99": p99(lags),
    }  # fmt: skip


# ---------------------------------------------------------------------- the app (child)


async def app_batch(base_url: str, key: str, wpid: str, rows: int, tmp: Path) -> dict[str, Any]:
    idle = await lag_while(asyncio.sleep(2.0))
    store = BatchStore(tmp / "batches.db")
    batch = [
        BatchRow(index=i, cells=(f"row {i}",), params={"name": f"row {i}"}) for i in range(rows)
    ]
    info = store.create(
        base_url=base_url, workflow_permanent_id=wpid, workflow_title="bench", source="bench",
        headers=("name",), mapping={}, options={}, title_template="", concurrency=CONCURRENCY,
        rows=batch,
    )  # fmt: skip
    errors: list[str] = []
    kinds: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:  # every request sent, retries too
        path = request.url.path
        kind = "start" if request.method == "POST" else "list" if path.endswith("/runs") else "read"
        kinds[kind] += 1

    async with SkyvernClient(base_url, key) as client:
        client._http.event_hooks["request"].append(count)
        runner = BatchRunner(
            store, info, batch, client, lambda indices: None,
            on_error=lambda name, exc: errors.append(f"{name}: {exc!r}"),
        )  # fmt: skip
        rss_before = rss_mb()
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        lags = await lag_while(runner.run())
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        await runner.aclose()
    store.close()
    completed = sum(1 for r in batch if r.state is RowState.DONE and r.status == "completed")
    ended = sum(1 for r in batch if r.state is RowState.DONE)
    return {
        "rows": rows, "elapsed": elapsed, "requests": runner.requests, "kinds": dict(kinds),
        "completed": completed, "ended": ended, "tally": runner.tally(), "errors": errors,
        "lag_p99": p99(lags), "lag_median": statistics.median(lags), "lag_max": max(lags),
        "idle_lag_p99": p99(idle), "rss_before_mb": rss_before, "cpu": cpu,
    }  # fmt: skip


def child(wpid: str, rows: int) -> None:
    """One app batch in this process, on the app's loop; prints one JSON line."""
    base_url, key = os.environ["SKYVERN_BASE_URL"], os.environ["SKYVERN_API_KEY"]
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with (
        tempfile.TemporaryDirectory(prefix="bench-batch-app-") as tmp,
        asyncio.Runner(loop_factory=lambda: new_event_loop(app)) as runner,
    ):
        result = runner.run(app_batch(base_url, key, wpid, rows, Path(tmp)))
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def app_in_child(base_url: str, key: str, wpid: str, rows: int) -> dict[str, Any]:
    """One app batch in a fresh process, with the control process beside it."""
    env = dict(os.environ, SKYVERN_BASE_URL=base_url, SKYVERN_API_KEY=key)
    control = subprocess.Popen(
        [sys.executable, "-c", CONTROL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", wpid, str(rows)],
            env=env, stdout=subprocess.PIPE, text=True, check=True, timeout=3600,
        )  # fmt: skip
    finally:
        control_out, _ = control.communicate("", timeout=30)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["control_p99"] = float(control_out.strip() or "nan")
    return result


# ---------------------------------------------------------------------- the report


def report(version: str, base: dict[str, Any], app: dict[str, Any], small: dict[str, Any]) -> None:
    b_done = sum(base["statuses"].values())
    b_completed = base["statuses"].get("completed", 0)
    b_per_run = base["requests"] / max(b_done, 1)
    a_per_run = app["requests"] / max(app["ended"], 1)
    ratio_time = app["elapsed"] / base["elapsed"]
    ratio_requests = a_per_run / b_per_run
    ratio_rss = app["maxrss_mb"] / small["maxrss_mb"]
    kinds = app["kinds"]
    print(
        f"{ROWS} rows, {CONCURRENCY} at once, one wait block of {WAIT_SECONDS} s; server"
        f" {version}; order: app at {SMALL} rows (warms the server), baseline, app"
    )
    print(
        f"baseline (asyncio + httpx, polls every {POLL_SECONDS:.0f} s): {b_completed} of {ROWS}"
        f" completed {base['statuses']}; {base['elapsed']:.1f} s, {base['requests']} requests"
    )
    print(
        f"app (BatchRunner, qasync loop in a child): {app['completed']} of {ROWS} completed"
        f" {app['tally']}; {app['elapsed']:.1f} s, {app['requests']} requests"
        f" ({kinds.get('start', 0)} starts, {kinds.get('list', 0)} list pages,"
        f" {kinds.get('read', 0)} run reads sent)"
    )
    print(
        f"total time           {app['elapsed']:7.1f} s = {ratio_time:4.2f}x baseline"
        f" {base['elapsed']:.1f} s (goal <= 1.10x) {verdict(ratio_time <= 1.1)}"
    )
    print(
        f"requests per run     {a_per_run:7.2f}   = {ratio_requests:4.2f}x baseline"
        f" {b_per_run:.2f} (goal <= 1.50x) {verdict(ratio_requests <= 1.5)}"
    )
    print(
        f"loop lag p99         {app['lag_p99']:7.1f} ms (median {app['lag_median']:.1f}, max"
        f" {app['lag_max']:.0f}; idle loop before the batch p99 {app['idle_lag_p99']:.1f} ms)"
        f" (goal <= 20 ms) {verdict(app['lag_p99'] <= 20)}"
    )
    print(
        f"  beside it: a bare process sleeping 10 ms p99 {app['control_p99']:.1f} ms (what the"
        f" machine adds); the baseline script's plain asyncio loop p99 {base['lag_p99']:.1f} ms"
    )
    print(
        f"CPU during the batch: app {app['cpu']:.1f} s = {app['cpu'] / base['cpu']:.2f}x the"
        f" baseline script's {base['cpu']:.1f} s"
    )
    print(
        f"peak RSS             {app['maxrss_mb']:7.1f} MB at {ROWS} rows = {ratio_rss:4.2f}x"
        f" {small['maxrss_mb']:.1f} MB at {SMALL} rows (goal <= 1.30x) {verdict(ratio_rss <= 1.3)};"
        f" grew {app['maxrss_mb'] - app['rss_before_mb']:.1f} MB vs"
        f" {small['maxrss_mb'] - small['rss_before_mb']:.1f} MB during the batch"
    )
    print(
        f"(the {SMALL}-row app batch: {small['completed']} of {SMALL} completed,"
        f" {small['elapsed']:.1f} s, {small['requests']} requests)"
    )
    for result in (small, app):
        for error in result["errors"]:
            print(f"app error: {error}")
    if b_completed < ROWS or app["completed"] < ROWS or small["completed"] < SMALL:
        print("NOTE: not every row completed: the figures above compare unlike work")


def main() -> None:
    base_url, key = os.environ.get("SKYVERN_BASE_URL"), os.environ.get("SKYVERN_API_KEY")
    server: LocalServer | None = None
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        try:
            if not (base_url and key):
                environment = ServerEnvironment.default()
                if not environment.is_installed():
                    sys.exit("no Skyvern server: run scripts/skyvern-test-server ensure")
                server = LocalServer(environment=environment, data_dir=Path(tmp) / "server")
                server.start()
                server.wait_ready(timeout=240)
                base_url, key = server.base_url, server.api_key()
                assert key
            version = httpx.get(f"{base_url}/v1/version", timeout=10).json().get("version")
            small = app_in_child(base_url, key, create_workflow(base_url, key, "warm"), SMALL)
            wpid = create_workflow(base_url, key, "baseline")
            base = asyncio.run(baseline(base_url, key, wpid, ROWS))
            app = app_in_child(base_url, key, create_workflow(base_url, key, "app"), ROWS)
        finally:
            if server is not None:
                server.stop()
    report(f"skyvern {version} at {base_url}", base, app, small)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
