"""Test-wide setup: Qt offscreen, and no test touches the user's real folders or keyring."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.realserver", "tests.fakes.fixtures"]


# Which fixture makes a test slow, and the marker that lets the fast tier leave it out.
_SLOW_FIXTURES = {
    "real_server": "server",
    "vnc_server": "server",
    "real_keyring": "keyring",
    "dist": "build",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in _SLOW_FIXTURES.items():
            if fixture in used and item.get_closest_marker(marker) is None:
                item.add_marker(getattr(pytest.mark, marker))
        if item.get_closest_marker("browser") and item.get_closest_marker("server") is None:
            item.add_marker(pytest.mark.server)


@pytest.fixture(autouse=True)
def _isolated_app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own app folders and no SKYVERN_* connection from the environment."""
    home = tmp_path / "app-home"
    monkeypatch.setenv("SKYVERN_DESKTOP_HOME", str(home))
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    return home


@dataclass(frozen=True)
class NoSkyvern:
    """This Python as if Skyvern were not installed in it, whatever the environment has
    (scripts/start.py installs it beside the app)."""

    pythonpath: str  # a folder whose sitecustomize hides the skyvern package
    python: Path  # a program running this Python with that folder on its path

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (self.pythonpath, base.get("PYTHONPATH")) if p
        )
        return env


@pytest.fixture
def no_skyvern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NoSkyvern:
    # importlib.util.find_spec answers None for a name mapped to None in sys.modules, so
    # the app's own lookup (own_runtime) runs unchanged and finds nothing.
    monkeypatch.setitem(sys.modules, "skyvern", None)
    folder = tmp_path / "no-skyvern"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text("import sys\nsys.modules['skyvern'] = None\n")
    python = folder / "python3"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={folder} exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    return NoSkyvern(str(folder), python)
