"""The current connection: which profile, which client, and how it is going."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..core.connection.check import (
    ConnectionReport,
    ConnectionState,
    check_connection,
    state_for_error,
)
from ..core.connection.profiles import Profile, list_identity

if TYPE_CHECKING:
    from ..api.client import SkyvernClient
    from ..api.retry import RetryPolicy
    from ..api.secrets import Secret

log = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("%s failed", task.get_name(), exc_info=exc)


class Session(QObject):
    """Owns the one shared ``SkyvernClient``. Screens listen to its signals."""

    client_changed = Signal()
    """A new client (or none): screens drop the old server's data and load the new one's."""
    checked = Signal()
    """The new client's connection check has answered, whatever its verdict. Background
    work (polls, reopened batches) starts here rather than at ``client_changed``, so the
    visible screen's first list does not queue behind it on the server or in this app."""
    state_changed = Signal(object)  # ConnectionReport

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        super().__init__()
        self._retry = retry
        self._profile: Profile | None = None
        self._client: SkyvernClient | None = None
        self._report = ConnectionReport(ConnectionState.DISCONNECTED, "Not connected.")
        self._recheck: asyncio.Task[None] | None = None
        # Which connection this is, for the workflow list kept between starts (never a
        # key: core.connection.profiles.list_identity). None: nothing is kept for it.
        self.identity: str | None = None

    @property
    def profile(self) -> Profile | None:
        return self._profile

    @property
    def client(self) -> SkyvernClient | None:
        return self._client

    @property
    def report(self) -> ConnectionReport:
        return self._report

    def _set_report(self, report: ConnectionReport) -> None:
        self._report = report
        self.state_changed.emit(report)

    async def connect_to(
        self, profile: Profile, key: Secret | None, *, identity: str | None = None
    ) -> ConnectionReport:
        """Make a client for ``profile`` current, and check the connection.

        Screens start loading (``client_changed``) while the check runs, so the first
        list is not delayed by it; the status bar shows the check's verdict. A newer call
        supersedes an older one still checking.
        """
        from ..api.client import SkyvernClient  # httpx and pydantic load here, after the window

        client = SkyvernClient(profile.base_url, key, retry=self._retry)
        old, self._client = self._client, client
        self._profile = profile
        self.identity = identity if identity is not None else list_identity(profile)
        self._set_report(
            ConnectionReport(ConnectionState.CONNECTING, f"Connecting to {profile.base_url}…")
        )
        self.client_changed.emit()
        if old is not None:
            await old.aclose()
        await asyncio.sleep(0)  # the screens' first requests leave before the check's
        report = await check_connection(client, has_key=bool(key))
        if client is self._client:
            self._set_report(report)
            self.checked.emit()
        return report

    async def use_client(
        self,
        client: SkyvernClient,
        report: ConnectionReport | None = None,
        *,
        profile: Profile | None = None,
        identity: str | None = None,
    ) -> ConnectionReport:
        """Make ``client``, built elsewhere, current: :meth:`connect_to`'s signals in its
        order (a connecting report, ``client_changed``, the verdict, ``checked``), without
        building an HTTP client. Tests hand the app an in-process fake this way (one that
        acts as a ``SkyvernClient``: tests/fakes/client.py). Without ``report`` the
        client is checked as a real one is (its version, its key). ``identity`` names the
        connection for the kept workflow list (none is kept without it)."""
        old, self._client = self._client, client
        self._profile = profile
        self.identity = identity
        self._set_report(
            ConnectionReport(ConnectionState.CONNECTING, f"Connecting to {client.base_url}…")
        )
        self.client_changed.emit()
        if old is not None and old is not client:
            await old.aclose()
        await asyncio.sleep(0)
        if report is None:
            report = await check_connection(client, has_key=client.has_key)
        if client is self._client:
            self._set_report(report)
            self.checked.emit()
        return report

    def note_error(self, exc: BaseException) -> None:
        """A screen's call failed: let the status bar say what that means for the connection."""
        self._set_report(ConnectionReport(state_for_error(exc), str(exc), self._report.version))

    def note_success(self) -> None:
        """A screen's call succeeded: a problem the status bar shows has passed. With the
        server's version known that is said at once; without it (the check itself failed)
        the connection is checked again, in one task at a time."""
        if self._report.state is ConnectionState.CONNECTED or self._client is None:
            return
        if self._report.version:
            self._set_report(
                ConnectionReport(
                    ConnectionState.CONNECTED,
                    f"Connected to Skyvern {self._report.version}.",
                    self._report.version,
                )
            )
        elif self._recheck is None or self._recheck.done():
            self._recheck = asyncio.get_running_loop().create_task(
                self._check_again(self._client), name="session.recheck"
            )
            self._recheck.add_done_callback(_log_failure)

    async def _check_again(self, client: SkyvernClient) -> None:
        report = await check_connection(client, has_key=client.has_key)
        if client is self._client:
            self._set_report(report)

    async def _stop_recheck(self) -> None:
        if self._recheck is not None and not self._recheck.done():
            self._recheck.cancel()
            await asyncio.gather(self._recheck, return_exceptions=True)
        self._recheck = None

    async def close_connection(self) -> None:
        await self._stop_recheck()
        old, self._client = self._client, None
        self._profile = None
        self.identity = None
        self.client_changed.emit()
        self._set_report(ConnectionReport(ConnectionState.DISCONNECTED, "Not connected."))
        if old is not None:
            await old.aclose()

    async def aclose(self) -> None:
        await self._stop_recheck()
        if self._client is not None:
            await self._client.aclose()
