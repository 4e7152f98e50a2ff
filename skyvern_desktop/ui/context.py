"""The services every owner needs, made once by the app and passed once (``AppContext``),
and the announcement of what changed (``Changes``), which the screens and owners hear.

Owners (the catalogue, the runs, schedules, batch, logins, launch, codes, local server and
connections flows) take the context and read what they need from it, so the same six
services no longer go into eight constructors in eight orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ..core.connection.profiles import ProfileStore
    from ..core.connection.secrets import KeyStore
    from ..core.paths import AppPaths
    from ..core.storage.notices import Notices
    from .errors import ErrorReporter
    from .session import Session
    from .tasks import TaskRunner


class ChangeKind(StrEnum):
    RUN_STARTED = "run_started"  # a run of a workflow was started (launcher, Run now, retry)
    RUN_ENDED = "run_ended"  # a watched run ended
    SCHEDULES = "schedules"  # a workflow's schedules were saved, switched or deleted
    WORKFLOWS = "workflows"  # workflows were added or changed (e.g. the local examples)


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    workflow_permanent_id: str | None = None


class Changes(QObject):
    """Owners announce what changed; each screen (``Screen.on_change``) and owner decides
    what to load again. Nobody routes a refresh by hand."""

    changed = Signal(object)  # Change

    def announce(self, kind: ChangeKind, workflow_permanent_id: str | None = None) -> None:
        self.changed.emit(Change(kind, workflow_permanent_id))


@dataclass(eq=False)
class AppContext:
    """What the app made once: its folders, the connection, tasks, errors, settings, the
    notices about its files, the connections and keys, the announcements, and the window
    (the parent of every dialog; set once it exists)."""

    paths: AppPaths
    session: Session
    tasks: TaskRunner
    reporter: ErrorReporter
    settings: QSettings
    notices: Notices
    profiles: ProfileStore
    keys: KeyStore
    changes: Changes
    headless: bool = False
    window: QWidget | None = None

    @property
    def parent(self) -> QWidget:
        """The window, for dialogs and boxes (it exists before any owner is built)."""
        assert self.window is not None, "the window is built before the owners"
        return self.window
