"""Connecting: at start-up as configured (or the welcome dialog), the Connections dialog
loop, and switching to a saved connection. A local server is started through whoever
manages it (see :class:`LocalStarter`), never from here."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

from ...api.secrets import Secret
from ...core.connection.check import ConnectionState
from ...core.connection.profiles import Profile, ProfileKind, environment_override, list_identity
from ...core.connection.profiles import resolve_connection as resolve
from ...core.connection.secrets import KeyStoreError
from ..dialogs import run_dialog

if TYPE_CHECKING:  # the dialog loads when first opened, not while the main window shows
    from .dialog import ConnectionsDialog

if TYPE_CHECKING:
    from ..context import AppContext


class LocalStarter(Protocol):
    """The local server, as connecting needs it (the Local server flow)."""

    async def start(self, *, interactive: bool = True) -> bool: ...

    async def wait_for_start_window(self) -> None: ...


class ConnectionsFlow(QObject):
    def __init__(self, ctx: AppContext, local: LocalStarter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window = ctx.parent
        self._session = ctx.session
        self._store = ctx.profiles
        self._keys = ctx.keys
        self._tasks = ctx.tasks
        self._reporter = ctx.reporter
        self._local = local
        self.use_local = False  # --local: start (or reuse) the local server and connect to it
        self._local_chosen = False  # "Run Skyvern on this computer" in the dialog
        self._dialog_open = False

    async def connect_initial(self, *, interactive: bool) -> bool:
        """Connect as configured; with nothing configured, show the first-run dialog.
        With ``--local``, or when the local server was the last connection, start it."""
        env_url, _ = environment_override()
        active = self._store.active
        if self.use_local or (
            not env_url and active is not None and active.kind is ProfileKind.LOCAL
        ):
            if await self._local.start(interactive=interactive):
                return True
            if not interactive:
                return False
            # It did not start: once its window (what went wrong, or how to install
            # Skyvern) is closed, the other ways to connect are offered.
            await self._local.wait_for_start_window()
            self.use_local = False
            others = [p for p in self._store.profiles if p.kind is not ProfileKind.LOCAL]
            connected = await self.open_connections(first_run=not others)
            if not connected:
                self._window.close()
            return connected
        resolved = resolve(active)
        if resolved is None:
            if not interactive:
                return False
            connected = await self.open_connections(first_run=True)
            if not connected:
                self._window.close()
            return connected
        profile, env_key = resolved
        await self.connect_to_profile(profile, env_key)
        if (
            interactive
            and self._session.report.state is ConnectionState.NO_KEY
            and not profile.is_environment
        ):
            # A key kept only in memory is gone after a restart: ask for it again.
            await self.open_connections()
        return True

    async def connect_to_profile(self, profile: Profile, key_override: str | None = None) -> None:
        key: Secret | None = Secret(key_override) if key_override else None
        if key is None and not profile.is_environment:
            try:
                key = await asyncio.to_thread(self._keys.get, profile.id)
            except KeyStoreError as exc:
                self._reporter.report("The API key could not be read.", exc)
        await self._session.connect_to(profile, key, identity=list_identity(profile, key_override))

    async def connect_saved(self, profile_id: str) -> None:
        profile = self._store.get(profile_id)
        if profile is not None and profile.kind is ProfileKind.LOCAL:
            await self._local.start()  # its address changes with each start
            return
        if profile is not None:
            await self.connect_to_profile(profile, environment_override()[1])

    def make_dialog(self, *, first_run: bool) -> ConnectionsDialog:
        from .dialog import ConnectionsDialog

        env_url, env_key = environment_override()
        note = None
        if env_url or env_key:
            note = (
                "SKYVERN_BASE_URL or SKYVERN_API_KEY is set in the environment: it overrides "
                "the chosen connection while this app runs, and is never saved."
            )
        active = self._store.active
        dialog = ConnectionsDialog(
            self._store, self._keys, self._tasks, first_run=first_run,
            active_id=active.id if active else None, env_note=note, parent=self._window,
        )  # fmt: skip
        dialog.connect_requested.connect(
            lambda pid: self._tasks.spawn("session.connect", self.connect_saved(pid))
        )
        dialog.local_requested.connect(self._on_local_requested)
        return dialog

    def _on_local_requested(self) -> None:
        self._local_chosen = True

    async def open_connections(self, *, first_run: bool = False) -> bool:
        """The Connections dialog (the welcome dialog with ``first_run``); True when a
        connection was made. Choosing "Run Skyvern on this computer" starts the local
        server; when that fails, the dialog is offered again once its window is closed."""
        if self._dialog_open:
            return False
        self._dialog_open = True
        try:
            while True:
                self._local_chosen = False
                dialog = self.make_dialog(first_run=first_run)
                result = await run_dialog(dialog)
                dialog.deleteLater()
                if not self._local_chosen:
                    return result == QDialog.DialogCode.Accepted
                if await self._local.start():
                    return True
                await self._local.wait_for_start_window()
        finally:
            self._dialog_open = False

    def request(self) -> None:
        """File → Connections…"""
        self._tasks.spawn("ui.connections", self.open_connections(), replace=False)
