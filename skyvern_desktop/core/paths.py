"""Where the app keeps its files. Every path goes through here.

``SKYVERN_DESKTOP_HOME`` puts everything under one folder (tests, portable use);
otherwise the platform's usual folders are used (XDG on Linux).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .. import APP_ID


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def profiles_file(self) -> Path:
        return self.config_dir / "profiles.json"

    @property
    def ui_state_file(self) -> Path:
        return self.config_dir / "window-state.ini"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "skyvern-desktop.log"

    def ensure(self) -> AppPaths:
        """Make the folders. One that cannot be made (a full disk, a read-only place) is
        left to its files' owners, which go on from memory and say so."""
        for d in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
        return self


def app_paths() -> AppPaths:
    if home := os.environ.get("SKYVERN_DESKTOP_HOME"):
        root = Path(home)
        return AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_ID, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_ID, appauthor=False)),
    )
