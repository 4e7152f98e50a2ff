"""The layer rules of DESIGN.md, checked for real in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = ".".join(
                    path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                )
                base = f"{pkg}.{base}" if base else pkg
            names.add(base)
    return names


def test_screens_never_import_each_other() -> None:
    ui = PACKAGE / "ui"
    screens = [
        p.name for p in ui.iterdir() if p.is_dir() and p.name not in {"widgets", "__pycache__"}
    ]
    for screen in screens:
        for file in (ui / screen).rglob("*.py"):
            for name in _imports(file):
                parts = name.split(".")
                if parts[:2] == ["skyvern_desktop", "ui"] and len(parts) > 2:
                    other = parts[2]
                    assert other == screen or other not in screens, (
                        f"{file.relative_to(PACKAGE)} imports the {other} screen"
                    )


def test_api_and_core_do_not_import_ui() -> None:
    for layer in ("api", "core"):
        for file in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(file):
                assert not name.startswith(("skyvern_desktop.ui", "skyvern_desktop.app")), (
                    f"{file.relative_to(PACKAGE)} imports {name}"
                )


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
