"""One cold start, run in a fresh process by startup.py. Prints one JSON line.

Modes: ``bare`` (a plain PySide6 + qasync window), ``app`` (Skyvern Desktop's main window,
no connection), ``list`` (Skyvern Desktop connected through SKYVERN_BASE_URL/SKYVERN_API_KEY,
until the workflow list is on screen, with no list kept from before), ``cached`` (the same,
with the list kept by an earlier start: until that list is painted, then on until the
server's list has replaced it), ``bare_list`` (the least any PySide6 + qasync +
httpx + pydantic client can do for that: the bare window shown, then one GET of the first
page parsed into a pydantic model and put in a table).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time


def pss_kb() -> int:
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def main() -> None:
    mode = sys.argv[1]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QMainWindow

    from skyvern_desktop.ui.loop import new_event_loop

    qapp = QApplication([])

    async def bare() -> dict[str, float]:
        window = QMainWindow()
        window.resize(1280, 800)
        window.show()
        await asyncio.sleep(0)
        return {"shown": time.time()}

    async def cached() -> dict[str, float]:
        from skyvern_desktop.app import DesktopApp
        from skyvern_desktop.core.paths import app_paths

        # As DesktopApp.run does: the window paints, the kept list paints, then the flows.
        desktop = DesktopApp(app_paths().ensure(), compose=False)
        await desktop.show_window()
        out = {"shown": time.time()}
        await desktop.catalogue.show_kept_for(desktop.store.active, use_local=False)
        out["cached"] = time.time()
        out["rows"] = desktop.catalogue.model.rowCount()
        desktop.compose()
        await desktop.connect_initial(interactive=False)
        await desktop.catalogue.wait_loaded()
        out["fresh_rows"] = desktop.catalogue.model.rowCount() - desktop.catalogue.model.kept_rows
        await desktop.aclose()
        return out

    async def app(with_list: bool) -> dict[str, float]:
        from skyvern_desktop.app import DesktopApp
        from skyvern_desktop.core.paths import app_paths
        from skyvern_desktop.ui.widgets.state_panel import PanelState

        # As DesktopApp.run does: the window paints, then the flows are built.
        desktop = DesktopApp(app_paths().ensure(), compose=False)
        await desktop.show_window()
        out = {"shown": time.time()}
        desktop.compose()
        if with_list:
            # The list is on screen when it is painted, whether or not the connection
            # check (which connect_initial also awaits) has finished by then.
            connecting = asyncio.create_task(desktop.connect_initial(interactive=False))
            page = desktop.window.workflows
            while not (page.model.rowCount() and page.panel.state is PanelState.CONTENT):  # noqa: ASYNC110
                await asyncio.sleep(0.002)  # poll: the benchmark must not change the app
            await asyncio.sleep(0)  # one paint
            out["list"] = time.time()
            out["rows"] = page.model.rowCount()
            await connecting
            await page.wait_loaded()
            out["pss_kb"] = pss_kb()
        await desktop.aclose()
        return out

    async def bare_list() -> dict[str, float]:
        from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

        window = QMainWindow()
        window.resize(1280, 800)
        table = QTableWidget(0, 2)
        window.setCentralWidget(table)
        window.show()
        await asyncio.sleep(0)
        import httpx
        from pydantic import BaseModel, TypeAdapter

        class Workflow(BaseModel):
            workflow_permanent_id: str
            title: str
            description: str | None = None

        async with httpx.AsyncClient(
            base_url=os.environ["SKYVERN_BASE_URL"],
            headers={"x-api-key": os.environ["SKYVERN_API_KEY"]},
        ) as http:
            answer = await http.get("/v1/workflows", params={"page": 1, "page_size": 20})
        rows = TypeAdapter(list[Workflow]).validate_json(answer.content)
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(row.title))
            table.setItem(i, 1, QTableWidgetItem(row.description or ""))
        await asyncio.sleep(0)  # one paint
        return {"list": time.time(), "rows": len(rows), "pss_kb": pss_kb()}

    async def run() -> dict[str, float]:
        if mode == "bare_list":
            return await bare_list()
        if mode == "bare":
            result = await bare()
            result["pss_kb"] = pss_kb()
            return result
        if mode == "cached":
            return await cached()
        return await app(with_list=mode == "list")

    with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
        print(json.dumps(runner.run(run())), flush=True)


if __name__ == "__main__":
    main()
