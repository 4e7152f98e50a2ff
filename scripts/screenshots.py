#!/usr/bin/env python3
"""Retake the README's pictures in docs/screenshots/, as a new user sees the app.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

A real Skyvern server (the cached test environment, scripts/skyvern-test-server ensure) is
started as the app's own local server in a throw-away app folder; the four example
workflows are imported, one is run to its end and one gets a schedule, the same way the app
does them. Each picture is then taken by the app itself (``--local --screenshot``), which
uses that server as a guest; the start window is rendered while the server's log grows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skyvern_desktop.api import SkyvernClient  # noqa: E402
from skyvern_desktop.api.models import ScheduleUpsert, WorkflowRunRequest  # noqa: E402
from skyvern_desktop.core.server.examples import import_examples  # noqa: E402
from skyvern_desktop.core.server.process import LocalServer  # noqa: E402
from tests.support.server_build import (  # noqa: E402
    ServerEnvironment,
    mail_env,
    serve_folder,
    start_mail_server,
)

START_WINDOW = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from skyvern_desktop.ui.local.dialogs import StartDialog

app = QApplication([])
dialog = StartDialog(Path(sys.argv[1]))
dialog.show()
QTimer.singleShot(1500, lambda: (dialog.grab().save(sys.argv[2], "PNG"), app.exit(0)))
app.exec()
"""


# A page that changes ten times a second, so the live view has something to show.
PRICE_LIST = """<!doctype html><html><head><title>Acme Supplies: price list</title></head>
<body style="font: 28px sans-serif; margin: 0; background: #f6f8fa">
<div style="background: #0b3d91; color: white; padding: 24px 48px; font-size: 40px">
Acme Supplies</div>
<div style="padding: 32px 48px"><h1>Price list</h1>
<p>Updated <b id="clock"></b></p>
<table style="border-collapse: collapse; width: 70%" border="1" cellpadding="12">
<tr><th>Item</th><th>Price</th></tr>
<tr><td>Copy paper, A4, 500 sheets</td><td id="p1">4.99</td></tr>
<tr><td>Stapler, heavy duty</td><td id="p2">18.50</td></tr>
<tr><td>Toner cartridge, black</td><td id="p3">62.00</td></tr>
</table></div>
<script>
setInterval(() => {
  const now = new Date();
  const tenths = Math.floor(now.getMilliseconds() / 100);
  document.getElementById("clock").textContent = now.toLocaleTimeString() + "." + tenths;
}, 100);
</script></body></html>"""


def serve_site(root: Path) -> str:
    (root / "prices.html").write_text(PRICE_LIST)
    httpd = serve_folder(root)  # a daemon thread: it ends with the script
    return f"http://127.0.0.1:{httpd.server_address[1]}/prices.html"


async def browser_run(server: LocalServer, page: str, seconds: int) -> str:
    """Start a run that opens ``page`` in the server's browser and stays ``seconds``."""
    key = server.api_key()
    assert key
    async with SkyvernClient(server.base_url, key) as client:
        workflows = {w.title: w for w in await client.list_all_workflows()}
        workflow = workflows.get("Check the price list")
        if workflow is None:
            workflow = await client.create_workflow({
                "title": "Check the price list",
                "description": "Opens the supplier's price list and watches it for a while.",
                "workflow_definition": {"parameters": [], "blocks": [
                    {"block_type": "goto_url", "label": "open_price_list", "url": page},
                    {"block_type": "wait", "label": "watch_prices", "wait_sec": seconds},
                ]},
            })  # fmt: skip
        run = await client.run_workflow(
            WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id)
        )
        return run.run_id


async def paused_run(server: LocalServer, page: str) -> str:
    """Start a run that opens ``page``, then waits for a person to approve the order; return
    once it is paused (its email went to the script's own loopback SMTP server)."""
    key = server.api_key()
    assert key
    async with SkyvernClient(server.base_url, key) as client:
        workflow = await client.create_workflow({
            "title": "Order toner when the price is right",
            "description": "Opens the price list and asks the buyer before it orders.",
            "workflow_definition": {"parameters": [], "blocks": [
                {"block_type": "goto_url", "label": "open_price_list", "url": page},
                {"block_type": "human_interaction", "label": "buyer_approval",
                 "instructions": "Check that black toner still costs less than 65.00,"
                 " then approve the order.",
                 "positive_descriptor": "Place the order",
                 "negative_descriptor": "Don't order", "timeout_seconds": 3600,
                 "recipients": ["buyer@example.com"]},
                {"block_type": "wait", "label": "place_order", "wait_sec": 2},
            ]},
        })  # fmt: skip
        run = await client.run_workflow(
            WorkflowRunRequest(workflow_id=workflow.workflow_permanent_id)
        )
        for _ in range(240):
            if str((await client.get_run(run.run_id)).status) == "paused":
                break
            await asyncio.sleep(0.5)
        return run.run_id


async def cancel_run(server: LocalServer, run_id: str) -> None:
    key = server.api_key()
    assert key
    async with SkyvernClient(server.base_url, key) as client:
        await client.cancel_run(run_id)


async def prepare(server: LocalServer) -> dict[str, str]:
    key = server.api_key()
    assert key
    async with SkyvernClient(server.base_url, key) as client:
        await import_examples(client, server.data_dir)
        workflows = {w.title: w for w in await client.list_all_workflows()}
        version = workflows["Example: ask the server its version"].workflow_permanent_id
        inputs = workflows["Example: inputs of every kind"].workflow_permanent_id
        run = await client.run_workflow(WorkflowRunRequest(workflow_id=version))
        for _ in range(240):
            if (await client.get_run(run.run_id)).is_terminal:
                break
            await asyncio.sleep(0.5)
        schedule = await client.create_schedule(
            version,
            ScheduleUpsert(
                cron_expression="0 9 * * 1-5", timezone="America/New_York",
                name="Weekday morning check", enabled=True,
            ),
        )  # fmt: skip
    return {
        "run": run.run_id,
        "version": version,
        "inputs": inputs,
        "schedule": schedule.schedule.workflow_schedule_id,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out: Path = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = ServerEnvironment.default()
    if not env.is_installed():
        print("no cached Skyvern server: run scripts/skyvern-test-server ensure first")
        return 1
    env.link_system_browser()
    with tempfile.TemporaryDirectory(prefix="skyvern-desktop-shots-") as tmp:
        home = Path(tmp) / "home"
        mailbox, stop_mail = start_mail_server()  # the approval block emails before it waits
        server = LocalServer(
            env, home / "data" / "local-server", extra_env=mail_env(mailbox, Path(tmp))
        )
        server.start()
        try:
            server.wait_ready(240)
            # The start window shows the log as it was while the server started.
            start_log = Path(tmp) / "start" / "local-server" / "server.log"
            start_log.parent.mkdir(parents=True)
            start_log.write_bytes(server.log_path.read_bytes())
            ids = asyncio.run(prepare(server))
            page = serve_site(Path(tmp))
            environ = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
            environ.update(
                SKYVERN_DESKTOP_HOME=str(home),
                SKYVERN_DESKTOP_SKYVERN=str(env.root / "bin" / "skyvern"),
                QT_QPA_PLATFORM="offscreen",
            )
            app = [sys.executable, "-m", "skyvern_desktop"]
            shots = {
                "first-run.png": ["--screenshot", "{}", "--view", "first-run"],
                "connections.png": ["--screenshot", "{}", "--view", "connections"],
                "local-workflows.png": ["--local", "--screenshot", "{}", "--view", "workflows"],
                "launch.png": ["--local", "--screenshot", "{}", "--view", "launch",
                               "--workflow", ids["inputs"]],
                "runs.png": ["--local", "--screenshot", "{}", "--view", "run",
                             "--run", ids["run"]],
                "run-live.png": ["--local", "--screenshot", "{}", "--view", "run",
                                 "--run", "LIVE"],
                "run-waiting.png": ["--local", "--screenshot", "{}", "--view", "run",
                                    "--run", "PAUSED"],
                "schedules.png": ["--local", "--screenshot", "{}", "--view", "schedules"],
                "schedule-editor.png": ["--local", "--screenshot", "{}", "--view",
                                        "schedule-editor", "--workflow", ids["version"],
                                        "--schedule", ids["schedule"]],
            }  # fmt: skip
            for name, args in shots.items():
                if name == "run-live.png":  # a browser run, caught while it runs
                    args[args.index("LIVE")] = asyncio.run(browser_run(server, page, 40))
                if name == "run-waiting.png":  # a run that waits for the buyer's answer
                    args[args.index("PAUSED")] = asyncio.run(paused_run(server, page))
                target = str(out / name)
                command = [*app, *(target if a == "{}" else a for a in args)]
                done = subprocess.run(command, cwd=ROOT, env=environ, check=False)
                if done.returncode != 0:
                    print(f"{name}: the app exited {done.returncode}")
                    return 1
                if name == "run-waiting.png":  # answered: its pane, restored by the next
                    asyncio.run(cancel_run(server, args[args.index("--run") + 1]))  # shots, ends
            subprocess.run(
                [sys.executable, "-c", START_WINDOW, str(start_log),
                 str(out / "local-start.png")],
                cwd=ROOT, env=environ, check=True,
            )  # fmt: skip
            print(f"wrote {len(shots) + 1} pictures to {out}")
        finally:
            server.stop()
            stop_mail()
    return 0


if __name__ == "__main__":
    sys.exit(main())
