"""The current connection: which profile, which client, and how it is going."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from ..api import RetryPolicy, Secret, SkyvernClient
from ..core.connection import ConnectionReport, ConnectionState, check_connection, state_for_error
from ..core.profiles import Profile

log = logging.getLogger(__name__)


class Session(QObject):
    """Owns the one shared ``SkyvernClient``. Screens listen to its signals."""

    client_changed = Signal()
    state_changed = Signal(object)  # ConnectionReport

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        super().__init__()
        self._retry = retry
        self._profile: Profile | None = None
        self._client: SkyvernClient | None = None
        self._pending: SkyvernClient | None = None
        self._report = ConnectionReport(ConnectionState.DISCONNECTED, "Not connected.")

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

    async def connect_to(self, profile: Profile, key: Secret | None) -> ConnectionReport:
        """Check ``profile``'s server with a new client, then make that client current.

        Screens reload when ``client_changed`` fires, which is after the check, so their
        requests never race it. A newer call supersedes an older one still checking.
        """
        client = SkyvernClient(profile.base_url, key, retry=self._retry)
        self._pending = client
        self._profile = profile
        self._set_report(
            ConnectionReport(ConnectionState.CONNECTING, f"Connecting to {profile.base_url}…")
        )
        try:
            report = await check_connection(client, has_key=bool(key))
        except BaseException:
            await client.aclose()
            raise
        if self._pending is not client:
            await client.aclose()
            return report
        self._pending = None
        old, self._client = self._client, client
        self.client_changed.emit()
        self._set_report(report)
        if old is not None:
            await old.aclose()
        return report

    def note_error(self, exc: BaseException) -> None:
        """A screen's call failed: let the status bar say what that means for the connection."""
        self._set_report(ConnectionReport(state_for_error(exc), str(exc), self._report.version))

    def note_success(self) -> None:
        if self._report.state is not ConnectionState.CONNECTED and self._report.version:
            self._set_report(
                ConnectionReport(
                    ConnectionState.CONNECTED,
                    f"Connected to Skyvern {self._report.version}.",
                    self._report.version,
                )
            )

    async def close_connection(self) -> None:
        old, self._client = self._client, None
        self._profile = None
        self.client_changed.emit()
        self._set_report(ConnectionReport(ConnectionState.DISCONNECTED, "Not connected."))
        if old is not None:
            await old.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
