"""Test-wide setup: Qt offscreen, and no test touches the user's real folders or keyring."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["tests.realserver", "tests.fakes.fixtures"]


@pytest.fixture(autouse=True)
def _isolated_app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own app folders and no SKYVERN_* connection from the environment."""
    home = tmp_path / "app-home"
    monkeypatch.setenv("SKYVERN_DESKTOP_HOME", str(home))
    monkeypatch.delenv("SKYVERN_BASE_URL", raising=False)
    monkeypatch.delenv("SKYVERN_API_KEY", raising=False)
    return home
