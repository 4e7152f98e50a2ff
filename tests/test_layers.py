"""The layer rules of DESIGN.md, checked for real in a fresh interpreter."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import skyvern_desktop

PACKAGE = Path(skyvern_desktop.__file__).parent


def _modules(sub: str) -> list[str]:
    return sorted(
        "skyvern_desktop."
        + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for p in (PACKAGE / sub).rglob("*.py")
    )


@pytest.mark.parametrize("layer", ["api", "core"])
def test_layer_never_loads_qt(layer: str) -> None:
    modules = _modules(layer)
    assert modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "qt = {'PySide6', 'shiboken6', 'qasync'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in qt)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{layer}/ loaded Qt: {out.stdout.strip()}"


def _contracts() -> list[dict[str, Any]]:
    with (PACKAGE.parent / "pyproject.toml").open("rb") as f:
        contracts: list[dict[str, Any]] = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    return contracts


def test_every_screen_is_in_the_import_contracts() -> None:
    """lint-imports (run by scripts/run-tests) checks the layers on the whole import
    graph; a screen package added later must not slip past its contracts."""
    screens = {
        f"skyvern_desktop.ui.{p.name}"
        for p in (PACKAGE / "ui").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("widgets", "data")
    }
    by_name = {c["name"]: c for c in _contracts()}
    independent = next(c for c in by_name.values() if c["type"] == "independence")
    assert set(independent["modules"]) == screens
    widgets = next(
        c for c in by_name.values() if c.get("source_modules") == ["skyvern_desktop.ui.widgets"]
    )
    assert screens <= set(widgets["forbidden_modules"])


def test_the_import_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.fail("import-linter is not installed (the test extra has it)", pytrace=False)
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_version_flag_without_qt() -> None:
    code = (
        "import sys\n"
        "from skyvern_desktop.__main__ import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "assert 'PySide6' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"Skyvern Desktop {skyvern_desktop.__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "skyvern_desktop", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"Skyvern Desktop {skyvern_desktop.__version__}"


BLOCKING_CALLS = {
    ("QMessageBox", name) for name in ("warning", "information", "critical", "question", "about")
} | {("QFileDialog", name) for name in (
    "getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory",
    "getOpenFileUrl", "getSaveFileUrl",
)} | {("QInputDialog", name) for name in ("getText", "getItem", "getInt", "getDouble")}  # fmt: skip


def test_no_dialog_runs_a_nested_event_loop() -> None:
    """Static dialog functions and exec() start a nested event loop, which the qasync loop
    does not survive when a coroutine is underneath; dialogs are opened with open()."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            owner = node.func.value
            name = node.func.attr
            if name in ("exec", "exec_") or (
                isinstance(owner, ast.Name) and (owner.id, name) in BLOCKING_CALLS
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node.func)}")
    assert found == []


# Loaded only once a connection is made or the local server started: the window shows first.
LATE_MODULES = ("httpx", "pydantic", "rich", "croniter", "skyvern_desktop.api.models",
                "skyvern_desktop.api.client", "skyvern_desktop.core.server.process",
                "skyvern_desktop.ui.runs.page", "skyvern_desktop.ui.schedules.page")  # fmt: skip
# Built right after the window's first paint (DesktopApp.compose), as run() does.
FLOW_MODULES = ("skyvern_desktop.core.runs.registry", "skyvern_desktop.ui.batch.controller",
                "skyvern_desktop.ui.launch.controller", "skyvern_desktop.ui.local.flow",
                "skyvern_desktop.ui.logins.controller", "skyvern_desktop.ui.runs.controller",
                "skyvern_desktop.ui.schedules.controller",
                "skyvern_desktop.ui.settings.flow")  # fmt: skip

SHOW_WINDOW = """
import asyncio, os, sys, tempfile
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["SKYVERN_DESKTOP_HOME"] = tempfile.mkdtemp()
from PySide6.QtWidgets import QApplication
from skyvern_desktop.ui.loop import new_event_loop

qapp = QApplication([])

async def main():
    from skyvern_desktop.app import DesktopApp
    from skyvern_desktop.core.paths import app_paths
    app = DesktopApp(app_paths().ensure(), compose=False)  # as the window mode starts
    await app.show_window()
    print("painted:" + ",".join(sorted(m for m in sys.modules if m.startswith(LATE + FLOWS))))
    app.compose()
    assert app.composed and app.connections is not None
    print("composed:" + ",".join(sorted(m for m in sys.modules if m.startswith(LATE))))
    await app.aclose()

LATE, FLOWS = tuple(sys.argv[1].split(",")), tuple(sys.argv[2].split(","))
with asyncio.Runner(loop_factory=lambda: new_event_loop(qapp)) as runner:
    runner.run(main())
"""


def test_the_window_shows_before_the_client_models_and_server_code_load() -> None:
    """What start-up time depends on, checked as structure (not as time, so never flaky):
    the window is built and painted without the flows, httpx, pydantic, the API models or
    the local server's code; the flows are built next, still without the client's modules,
    which screens load when they first need them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYVERN_")}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_WINDOW, ",".join(LATE_MODULES), ",".join(FLOW_MODULES)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    said = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    assert set(said) >= {"painted", "composed"}, done.stdout[-3000:] + done.stderr[-3000:]
    assert [m for m in said["painted"].split(",") if m] == []
    assert [m for m in said["composed"].split(",") if m] == []


def test_app_py_only_composes() -> None:
    """app.py builds and connects objects; it defines no widget, screen or rule of its own.
    (Module length is a guideline for review, not a test: a file is cut along what it does,
    never at a line count.)"""
    import ast

    tree = ast.parse((PACKAGE / "app.py").read_text(encoding="utf-8"))
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["DesktopApp"]
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "PySide6.QtWidgets"
        for alias in node.names
    }
    assert imported <= {"QApplication"}, imported


def test_no_import_cycles() -> None:
    """No two modules of the app import each other, directly or through others (imports
    made only for type checking count too: a cycle is a sign of a file cut at the wrong
    place, as the Logins controller and its credentials flow once were)."""
    import grimp

    graph = grimp.build_graph("skyvern_desktop", cache_dir=None)
    ours = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's strongly connected components, iteratively
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if not target.startswith("skyvern_desktop"):
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append(
                        (target, iter(sorted(graph.find_modules_directly_imported_by(target))))
                    )
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for module in ours:
        if module not in index:
            visit(module)
    assert cycles == []
