"""PySide's per-import scan, made cheap, gives PySide's own answers."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from skyvern_desktop.ui import import_scan


def _feature() -> ModuleType:
    import PySide6.QtCore  # noqa: F401  (installs the hook)

    return sys.modules["shibokensupport.feature"]


def _original() -> Callable[[ModuleType], bool]:
    check = _feature()._mod_uses_pyside
    found: Callable[[ModuleType], bool] = getattr(check, "__wrapped__", check)
    return found


def test_the_cheap_check_agrees_with_pysides_on_every_loaded_module() -> None:
    import httpx  # noqa: F401
    import pydantic  # noqa: F401

    import skyvern_desktop.api.client
    import skyvern_desktop.ui.main_window  # noqa: F401

    original = _original()
    modules = [m for m in list(sys.modules.values()) if isinstance(m, ModuleType)]
    ours = [import_scan.uses_pyside(m, original) for m in modules]
    theirs = [original(m) for m in modules]
    assert ours == theirs
    # Both answers occur, so agreeing says something.
    assert sum(ours) >= 10 and len(ours) - sum(ours) >= 200
    assert import_scan.uses_pyside(sys.modules["skyvern_desktop.ui.main_window"], original)
    assert not import_scan.uses_pyside(sys.modules["httpx"], original)


def test_modules_without_a_readable_py_file_get_pysides_answer(tmp_path: Path) -> None:
    asked: list[str] = []

    def fallback(module: ModuleType) -> bool:
        asked.append(module.__name__)
        return True

    gone = ModuleType("gone")
    gone.__file__ = str(tmp_path / "gone.py")  # never written
    compiled = ModuleType("compiled")
    compiled.__file__ = str(tmp_path / "compiled.cpython-311-x86_64-linux-gnu.so")
    bare = ModuleType("bare")  # no file at all, as a builtin
    for module in (gone, compiled, bare):
        assert import_scan.uses_pyside(module, fallback) is True
    assert asked == ["gone", "compiled", "bare"]


def test_a_zipped_module_is_left_to_pyside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped_qt_user.py", "from PySide6 import QtCore\n")
    monkeypatch.syspath_prepend(str(archive))
    module = importlib.import_module("zipped_qt_user")
    original = _original()
    assert import_scan.uses_pyside(module, original) is original(module) is True


def test_installing_twice_wraps_once() -> None:
    _feature()
    assert import_scan.make_cheap()
    first = _feature()._mod_uses_pyside
    assert import_scan.make_cheap()
    assert _feature()._mod_uses_pyside is first
    assert first.__wrapped__ is not first


def test_the_app_loop_installs_it_and_pyside_records_the_same_verdicts(tmp_path: Path) -> None:
    """In a fresh process, as the app starts: new modules imported after the event loop
    exists are classed by the cheap check, and PySide records what it would have."""
    (tmp_path / "uses_qt.py").write_text("from PySide6.QtCore import QObject\n")
    (tmp_path / "plain.py").write_text("import json\n")
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        sys.path.insert(0, {str(tmp_path)!r})
        from PySide6.QtWidgets import QApplication
        from skyvern_desktop.ui.loop import new_event_loop
        qapp = QApplication([])
        loop = new_event_loop(qapp)
        feature = sys.modules["shibokensupport.feature"]
        assert hasattr(feature._mod_uses_pyside, "__wrapped__"), "not installed"
        import uses_qt, plain
        print(feature.pyside_feature_dict["uses_qt"], feature.pyside_feature_dict["plain"])
        loop.close()
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["0", "-1"], out.stderr
