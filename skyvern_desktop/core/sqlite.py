"""The app's small SQLite files (the run registry, the batch store): opened the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_db(path: Path, schema: str) -> sqlite3.Connection:
    """Open (or make) ``path`` with ``schema``: autocommit, so each write is committed at
    once, in WAL mode, so a crash or ``kill -9`` loses nothing already written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db
