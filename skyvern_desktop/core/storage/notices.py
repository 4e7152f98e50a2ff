"""What happened to the app's files, said once in plain words.

Every file the app keeps (the runs registry, the batches store, the workflow cache,
settings, connections, the log) reports here when it had to be set aside or cannot be
written; the window (or, headless, stderr) says so once. No secret ever reaches a notice:
a notice names a file and what was done with it, never its contents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Trouble(StrEnum):
    SET_ASIDE = "set_aside"  # unreadable, damaged or from another version: renamed, kept
    NOT_KEPT = "not_kept"  # cannot be written (disk full, read-only): kept in memory
    KEPT_AGAIN = "kept_again"  # it can be written again: what was in memory is on disk


@dataclass(frozen=True, slots=True)
class FileNotice:
    trouble: Trouble
    what: str  # in words: "the list of open runs"
    path: Path
    kept_as: Path | None = None  # where a set-aside file now is
    reason: str = ""  # the system's words, e.g. "database or disk is full"
    after: str = ""  # what the app rebuilt, or what the person may redo, once set aside
    at: float = field(default_factory=time.time)

    def sentence(self) -> str:
        """One or two sentences a person can act on."""
        if self.trouble is Trouble.SET_ASIDE:
            kept = f" It was kept as {self.kept_as}." if self.kept_as else ""
            return (
                f"Skyvern Desktop could not read {self.what} ({self.path.name}: {self.reason}),"
                f" so it started a new one.{kept}" + (f" {self.after}" if self.after else "")
            )
        if self.trouble is Trouble.NOT_KEPT:
            return (
                f"Skyvern Desktop cannot write {self.what} to {self.path.parent} "
                f"({self.reason}). It goes on from memory, but what changes now is not kept"
                " after the app closes until space is freed; it will write again by itself."
            )
        return f"Skyvern Desktop can write {self.what} again: nothing was lost."


Listener = Callable[[FileNotice], None]


class Notices:
    """The notices of one app: each (file, trouble) is said once until it changes."""

    def __init__(self) -> None:
        self.said: list[FileNotice] = []
        self._state: dict[Path, Trouble] = {}
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every new notice, and at once for those said before it
        listened (so a window built later still says what happened at start)."""
        self._listeners.append(listener)
        for notice in list(self.said):
            listener(notice)
        return lambda: self._listeners.remove(listener)

    def add(self, notice: FileNotice) -> None:
        if notice.trouble is not Trouble.SET_ASIDE:
            # Not kept, then kept again: each said once for as long as it holds.
            if self._state.get(notice.path) is notice.trouble:
                return
            if notice.trouble is Trouble.KEPT_AGAIN and notice.path not in self._state:
                return
        self._state[notice.path] = notice.trouble
        self.said.append(notice)
        for listener in list(self._listeners):
            listener(notice)

    def not_kept(self, path: Path) -> bool:
        return self._state.get(path) is Trouble.NOT_KEPT
