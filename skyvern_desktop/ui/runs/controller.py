"""The one way a run pane opens, and what follows from it.

Every run the app shows in a pane comes through :meth:`RunsController.open_run`: a run the
launcher or Run now started, one double-clicked in the history, a retried one, and the
panes restored after a restart. Each is recorded in the run registry at once, so panes come
back after a restart or a ``kill -9``; when a watched run ends the person is told once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from ...core.urls import is_loopback
from ..session import Session

if TYPE_CHECKING:
    from ...api.models import RunResponse
    from ...core.registry import RunRegistry
    from .page import RunsPage

NOTIFY_SETTING = "notifications/enabled"


class RunsController(QObject):
    """``message(text)`` for the status bar; ``run_started(run)`` after a run this app
    started has its pane (the Workflows screen refreshes its Last run column);
    ``pane_focused()`` when a pane was brought forward (the Runs screen is shown)."""

    message = Signal(str)
    run_started = Signal(object)  # RunResponse
    pane_focused = Signal()

    def __init__(
        self,
        page: Callable[[], RunsPage],
        session: Session,
        registry: RunRegistry,
        settings: QSettings,
        *,
        title_of: Callable[[str], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._page = page  # the Runs screen, built when first asked for
        self._attached = False
        self._session = session
        self.registry = registry
        self._settings = settings
        self._title_of = title_of  # a workflow's title, when the Workflows screen knows it
        self._tray: QSystemTrayIcon | None = None
        session.client_changed.connect(self.restore_panes)

    @property
    def page(self) -> RunsPage:
        return self._page()

    def attach(self, page: RunsPage) -> None:
        """The Runs screen exists now: listen to it (the window calls this once)."""
        if self._attached:
            return
        self._attached = True
        page.open_requested.connect(
            lambda run_id, wpid: self.open_run(run_id, workflow_permanent_id=wpid or None)
        )
        page.pane_closed.connect(self._on_pane_closed)
        page.title_wanted.connect(self._on_title_wanted)
        page.run_finished.connect(self._on_run_finished)

    def _base_url(self) -> str | None:
        client = self._session.client
        return client.base_url if client is not None else None

    def open_run(
        self, run_id: str, *, workflow_permanent_id: str | None = None, focus: bool = True
    ) -> None:
        """Open (or show) a live pane for a run, and remember it at once."""
        client = self._session.client
        if client is None:
            return
        title = self._title_of(workflow_permanent_id) if workflow_permanent_id else None
        self.registry.record(
            client.base_url, run_id, workflow_permanent_id=workflow_permanent_id,
            workflow_title=title, pane_open=True,
        )  # fmt: skip
        self.page.open_run(
            run_id, client, title=title, read_local_files=is_loopback(client.base_url),
            focus=focus,
        )  # fmt: skip
        if focus:
            self.pane_focused.emit()

    def on_run_started(self, run: RunResponse) -> None:
        """A run this app started (the launcher, Run now): its pane, in front."""
        self.message.emit(f"Run {run.run_id} started.")
        self.open_run(run.run_id, workflow_permanent_id=run.workflow_permanent_id)
        self.run_started.emit(run)

    def restore_panes(self) -> None:
        """After a (re)connect: the panes open last time come back and resume watching.
        With none to show and the Runs screen never built, it is not built for this."""
        client = self._session.client
        entries = self.registry.open_panes(client.base_url) if client is not None else []
        if not entries and not self._attached:
            return
        self.page.close_all()
        if client is None:
            return
        for entry in entries:
            self.page.open_run(
                entry.run_id, client, title=entry.workflow_title,
                read_local_files=is_loopback(client.base_url), focus=False,
            )  # fmt: skip

    def _on_title_wanted(self, run_id: str, wpid: str) -> None:
        title = self._title_of(wpid)
        if title is None:
            return
        self.page.set_title(run_id, title)
        if base := self._base_url():
            self.registry.record(base, run_id, workflow_permanent_id=wpid, workflow_title=title)

    def _on_pane_closed(self, run_id: str) -> None:
        if base := self._base_url():
            self.registry.set_pane_open(base, run_id, False)

    def _on_run_finished(self, run: RunResponse) -> None:
        base = self._base_url()
        if base is None:
            return
        known = self.registry.get(base, run.run_id)
        self.registry.record(base, run.run_id, status=str(run.status), terminal=True)
        if known is None or not known.terminal:  # a pane reopened on an old run stays quiet
            self.notify(f"Run {str(run.status).replace('_', ' ')}", f"{run.run_id}")

    def notify(self, title: str, message: str) -> None:
        """A desktop notification where a system tray exists; the status bar always."""
        self.message.emit(f"{title}: {message}")
        if not self._settings.value(NOTIFY_SETTING, True, type=bool):
            return
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                window = self.page.window()
                self._tray = QSystemTrayIcon(window.windowIcon(), window)
                self._tray.show()
            self._tray.showMessage(title, message)
