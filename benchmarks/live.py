"""Four runs streaming their browsers at once, each in a visible run pane.

Against a real Skyvern server in cdp mode on loopback (started here from the cached
environment, with a page that repaints every 100 ms served on loopback). Two phases, each
with four fresh browser runs and four panes on screen:

- baseline: the same panes with the live view off (as with a server in vnc mode: the
  Overview then shows the newest screenshot, and the timeline is read as usual);
- live: the panes stream.

Printed: the event loop's lag (p99, goal <= 20 ms), the app's CPU per stream, frames
shown per second against frames received, and memory after 1 minute against memory at
the end (``BENCH_LIVE_MINUTES``, default 10: no growth).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from benchmarks.watch import loop_lag, p99, rss_mb
from skyvern_desktop.api import SkyvernClient
from skyvern_desktop.api.models import WorkflowRunRequest
from skyvern_desktop.core.server.process import LocalServer
from skyvern_desktop.ui.loop import new_event_loop
from skyvern_desktop.ui.tasks import TaskRunner
from tests.support.panes import run_pane
from tests.support.server_build import ServerEnvironment, serve_folder

STREAMS = int(os.environ.get("BENCH_LIVE_STREAMS", "4"))
MINUTES = float(os.environ.get("BENCH_LIVE_MINUTES", "10"))
BASELINE_MINUTES = float(os.environ.get("BENCH_LIVE_BASELINE_MINUTES", "1"))
PIN = os.environ.get("BENCH_LIVE_PIN", "") == "1"
"""As when the server is on another computer: the server and its browsers on CPU 0, this
app (and the control process, which inherits it) on CPU 1."""


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def pin_server(pid: int | None) -> None:
    """The server and what it has started so far on CPU 0 (browsers started later inherit
    it from the server)."""
    if PIN and pid is not None:
        for child in descendants(pid):
            try:
                os.sched_setaffinity(child, {0})
            except OSError:
                continue


CONTROL = """
import sys, time
lags, end = [], time.perf_counter() + float(sys.argv[1])
while time.perf_counter() < end:
    t = time.perf_counter(); time.sleep(0.01); lags.append((time.perf_counter() - t - 0.01) * 1000)
lags.sort(); print(lags[int(len(lags) * 0.99) - 1])
"""
CLOCK = """<!doctype html><html><body style="font: 64px sans-serif"><h1>Live</h1>
<p id="c"></p><script>const t0 = Date.now(); setInterval(() => {
document.getElementById("c").textContent = ((Date.now() - t0) / 1000).toFixed(1);
document.body.style.background = "hsl(" + ((Date.now() - t0) / 20 % 360) + ",60%,85%)";
}, 100);</script></body></html>"""


def serve_clock(root: Path) -> str:
    (root / "clock.html").write_text(CLOCK)
    httpd = serve_folder(root)  # a daemon thread: it ends with the script
    return f"http://127.0.0.1:{httpd.server_address[1]}/clock.html"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def phase(
    client: SkyvernClient, wpid: str, *, live: bool, minutes: float
) -> dict[str, float]:
    tasks = TaskRunner()
    if not live:  # as a server in vnc mode: no socket, the newest screenshot instead
        client._streaming_mode = "vnc"
    runs = [await client.run_workflow(WorkflowRunRequest(workflow_id=wpid)) for _ in range(STREAMS)]
    panes = []
    for i, run in enumerate(runs):
        pane = run_pane(run.run_id, client, tasks)
        pane.resize(960, 720)
        pane.move(40 * i, 40 * i)
        pane.show()  # every pane on screen: each decodes its own frames
        pane.tracker.start()
        panes.append(pane)
    while any(p.run is None or str(p.run.status) != "running" for p in panes):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    await asyncio.sleep(5)  # past the first pictures and the first screenshots
    received0 = [p.follower.slot.received for p in panes]
    shown0 = [p.follower.slot.shown for p in panes]
    # A control: a bare Python process sleeping 10 ms at a time beside the app, to tell
    # the app's own stalls from a machine the browsers keep busy.
    control = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CONTROL, str(minutes * 60), stdout=asyncio.subprocess.PIPE
    )
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    lags: list[float] = []
    rss_1min = 0.0
    end = t0 + minutes * 60
    while time.perf_counter() < end:
        lags += await loop_lag(min(10.0, end - time.perf_counter()))
        if not rss_1min and time.perf_counter() - t0 >= 60:
            rss_1min = rss_mb()
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    out, _ = await control.communicate()
    control_p99 = float(out.decode().strip() or "nan")
    received = sum(p.follower.slot.received for p in panes) - sum(received0)
    shown = sum(p.follower.slot.shown for p in panes) - sum(shown0)
    dropped = sum(p.follower.slot.dropped for p in panes)
    going = sum(1 for p in panes if p.run is not None and not p.run.is_terminal)
    states = ", ".join(
        f"{p.follower._stream_state.name.lower()}"
        + (f" ({p.follower._stream_message})" if p.follower._stream_message else "")
        for p in panes
    )
    print(f"  {'live' if live else 'baseline'} phase: streams {states}", flush=True)
    result = {
        "lag_p99": p99(lags), "lag_median": statistics.median(lags), "cpu_percent":
        100 * cpu / elapsed, "received_per_s": received / elapsed, "shown_per_s":
        shown / elapsed, "dropped": dropped, "rss_1min": rss_1min or rss_mb(),
        "rss_end": rss_mb(), "elapsed": elapsed, "still_running": going,
        "control_p99": control_p99,
    }  # fmt: skip
    for pane in panes:
        if pane.run is not None and not pane.run.is_terminal:
            await client.cancel_run(pane.run_id)
        pane.stop()
        pane.tracker.stop()
        pane.close()
        pane.deleteLater()
    await tasks.aclose()
    if not live:
        del client._streaming_mode
    return result


async def main(base_url: str, key: str, page: str) -> None:
    async with SkyvernClient(base_url, key) as client:
        seconds = int(max(MINUTES, BASELINE_MINUTES) * 60 + 120)
        created = await client.create_workflow({
            "title": "Benchmark live view", "workflow_definition": {"parameters": [], "blocks": [
                {"block_type": "goto_url", "label": "open", "url": page},
                {"block_type": "wait", "label": "pause", "wait_sec": seconds}]}})  # fmt: skip
        wpid = created.workflow_permanent_id
        assert await client.streaming_mode() == "cdp"
        base = await phase(client, wpid, live=False, minutes=BASELINE_MINUTES)
        live = await phase(client, wpid, live=True, minutes=MINUTES)
    mode = "pinned (server and browsers on CPU 0, app on CPU 1)" if PIN else "shared cores"
    print(f"mode: {mode}")
    print(f"{STREAMS} runs, each in a visible pane; baseline {base['elapsed']:.0f} s with the live"
          f" view off, then {live['elapsed']:.0f} s streaming")  # fmt: skip
    print(f"loop lag p99: {live['lag_p99']:.1f} ms streaming, {base['lag_p99']:.1f} ms baseline"
          f" = {live['lag_p99'] / max(base['lag_p99'], 0.1):.2f}x (goal <= 20 ms);"
          f" median {live['lag_median']:.1f} vs {base['lag_median']:.1f} ms")  # fmt: skip
    print(
        f"control (a bare process sleeping beside the app): p99 {live['control_p99']:.1f} ms"
        f" streaming, {base['control_p99']:.1f} ms baseline: what the machine itself adds"
    )
    per_stream = (live["cpu_percent"] - base["cpu_percent"]) / STREAMS
    print(f"app CPU: {live['cpu_percent']:.1f}% streaming, {base['cpu_percent']:.1f}% baseline"
          f" = {live['cpu_percent'] / max(base['cpu_percent'], 0.1):.1f}x;"
          f" {per_stream:.1f}% of one core per stream")  # fmt: skip
    print(f"frames: {live['received_per_s']:.1f}/s received, {live['shown_per_s']:.1f}/s shown"
          f" = {live['shown_per_s'] / max(live['received_per_s'], 0.01):.2f} of received"
          f" ({live['dropped']:.0f} dropped as bad)")  # fmt: skip
    print(f"memory (RSS): {live['rss_1min']:.0f} MB after 1 min, {live['rss_end']:.0f} MB after"
          f" {live['elapsed'] / 60:.0f} min = {live['rss_end'] / live['rss_1min']:.2f}x;"
          f" baseline {base['rss_end']:.0f} MB")  # fmt: skip
    if live["still_running"] < STREAMS:
        print(f"note: only {live['still_running']} of {STREAMS} runs were still running at the end")


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        env = ServerEnvironment.default()
        env.link_system_browser()
        page = serve_clock(Path(tmp))
        server = LocalServer(environment=env, data_dir=Path(tmp) / "server")
        server.start()
        if PIN:
            os.sched_setaffinity(0, {1})
            print("pinned: the server and its browsers on CPU 0, the app on CPU 1", flush=True)
        pin_server(server.pid)
        try:
            server.wait_ready(240)
            pin_server(server.pid)
            key = server.api_key()
            assert key
            app = QApplication.instance() or QApplication([])
            assert isinstance(app, QApplication)
            app.setQuitOnLastWindowClosed(False)  # the panes are windows here, closed per phase
            with asyncio.Runner(loop_factory=lambda: new_event_loop(app)) as runner:
                runner.run(main(server.base_url, key, page))
        finally:
            server.stop()


if __name__ == "__main__":
    run()
