"""The table of screens: one row per screen, its key, label, shortcut and factory.

The sidebar, the View menu, the shortcuts (Ctrl+1 … Ctrl+N), the lazy build and
``--screenshot --view`` all read this table, so adding a screen is one row here plus its
package (and, if it has an owner, one line in ``Flows.owners``). A screen is built the
first time it is shown or its owner needs it. Only the window reads this module: it names
every screen, and the screens must not know each other (``screen.py`` is what they share).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no Qt at import: the command line reads the keys (``--view``)
    from PySide6.QtWidgets import QWidget

    from .context import AppContext


@dataclass(frozen=True, slots=True)
class ScreenSpec:
    key: str
    label: str  # the sidebar's text; the View menu's with an accelerator
    shortcut: str
    build: Callable[[AppContext], QWidget]  # imports the screen's module when first called
    first: bool = False  # built with the window (what a person sees at start)

    @property
    def menu_label(self) -> str:
        return f"&{self.label}"


def _workflows(ctx: AppContext) -> QWidget:
    from .workflows.page import WorkflowsPage

    return WorkflowsPage(ctx.catalogue.model)


def _runs(ctx: AppContext) -> QWidget:
    from .runs.page import RunsPage

    return RunsPage(ctx.tasks)


def _schedules(ctx: AppContext) -> QWidget:
    from .schedules.page import SchedulesPage

    return SchedulesPage()


def _batches(ctx: AppContext) -> QWidget:
    from .batch.page import BatchesPage

    return BatchesPage()


def _logins(ctx: AppContext) -> QWidget:
    from .logins.page import LoginsPage

    return LoginsPage()


SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec("workflows", "Workflows", "Ctrl+1", _workflows, first=True),
    ScreenSpec("runs", "Runs", "Ctrl+2", _runs),
    ScreenSpec("schedules", "Schedules", "Ctrl+3", _schedules),
    ScreenSpec("batches", "Batches", "Ctrl+4", _batches),
    ScreenSpec("logins", "Logins", "Ctrl+5", _logins),
)
SCREEN_KEYS: tuple[str, ...] = tuple(s.key for s in SCREENS)


def spec(key: str) -> ScreenSpec:
    return next(s for s in SCREENS if s.key == key)
