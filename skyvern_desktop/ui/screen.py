"""What every screen and every screen owner has in common: the ``Screen`` protocol the
window asks of each screen, and ``ScreenOwner``, the one way an owner gets the screen it
feeds whenever that is built (the table of screens is ``screens.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from .changes import Change


@runtime_checkable
class Screen(Protocol):
    """What the window asks of every screen."""

    def refresh(self) -> None:
        """Ctrl+R: load what it shows again."""

    def save_state(self, settings: QSettings) -> None:
        """Its splitters, headers and filters, as the window closes."""

    def restore_state(self, settings: QSettings) -> None:
        """What ``save_state`` kept, when it is built."""

    def on_change(self, change: Change) -> None:
        """Something changed (a run started, a schedule saved): reload what it concerns."""


PageT = TypeVar("PageT")  # a screen class, or the protocol an owner knows it by


class ScreenOwner(Generic[PageT]):
    """A mixin for the owner of a screen that is built on first use.

    The window binds the owner to its screen (``bind_screen``); the owner reads ``page``
    when it must show something (which builds the screen), checks ``attached`` when it
    need not, and connects to the screen in ``on_attach``, called once, whenever the
    screen is built: before the owner exists, or long after."""

    _screen: Any = None
    _build_screen: Callable[[], QWidget] | None = None

    def bind_screen(self, build: Callable[[], QWidget]) -> None:
        self._build_screen = build

    @property
    def attached(self) -> bool:
        return self._screen is not None

    @property
    def page(self) -> PageT:
        if self._screen is None:
            assert self._build_screen is not None, "the window binds its screen first"
            self._build_screen()  # the window builds it and calls attach()
        assert self._screen is not None
        return self._screen  # type: ignore[no-any-return]

    def attach(self, page: PageT) -> None:
        if self._screen is page:
            return
        self._screen = page
        self.on_attach(page)

    def on_attach(self, page: PageT) -> None:
        """Connect to the screen's intents and show it what is known."""
