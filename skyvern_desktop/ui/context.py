"""The services every owner needs, made once by the app and passed once (``AppContext``),
among them the announcements of what changed (``changes.py``).

Owners (the catalogue, the runs, schedules, batch, logins, launch, codes, local server and
connections flows) take the context and read what they need from it, so the same six
services no longer go into eight constructors in eight orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from .changes import Changes

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ..core.connection.profiles import ProfileStore
    from ..core.connection.secrets import KeyStore
    from ..core.paths import AppPaths
    from ..core.storage.notices import Notices
    from .data.catalogue import WorkflowCatalogue
    from .data.run_index import RunIndexOwner
    from .errors import ErrorReporter
    from .session import Session
    from .tasks import TaskRunner


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
    run_index: RunIndexOwner | None = None  # made with the owners, after the first paint
    _catalogue: WorkflowCatalogue | None = None

    @property
    def catalogue(self) -> WorkflowCatalogue:
        """Every workflow of the server (made right after the context, before the window)."""
        assert self._catalogue is not None, "the app makes the catalogue first"
        return self._catalogue

    @catalogue.setter
    def catalogue(self, catalogue: WorkflowCatalogue) -> None:
        self._catalogue = catalogue

    @property
    def parent(self) -> QWidget:
        """The window, for dialogs and boxes (it exists before any owner is built)."""
        assert self.window is not None, "the window is built before the owners"
        return self.window
