"""Checking a connection, and saying in plain words what is wrong with it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ...api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    NetworkErrorKind,
    NotFoundError,
    ProtocolError,
)

if TYPE_CHECKING:
    from ...api.client import SkyvernClient


class ConnectionState(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    NO_KEY = "no_key"
    BAD_KEY = "bad_key"
    OFFLINE = "offline"
    TLS = "tls"
    NOT_SKYVERN = "not_skyvern"
    ERROR = "error"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_problem(self) -> bool:
        return self not in (
            ConnectionState.CONNECTED,
            ConnectionState.CONNECTING,
            ConnectionState.DISCONNECTED,
        )


_LABELS = {
    ConnectionState.DISCONNECTED: "Not connected",
    ConnectionState.CONNECTING: "Connecting…",
    ConnectionState.CONNECTED: "Connected",
    ConnectionState.NO_KEY: "No API key",
    ConnectionState.BAD_KEY: "Bad API key",
    ConnectionState.OFFLINE: "Offline",
    ConnectionState.TLS: "TLS problem",
    ConnectionState.NOT_SKYVERN: "Not a Skyvern server",
    ConnectionState.ERROR: "Server error",
}


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    state: ConnectionState
    message: str
    version: str | None = None

    @property
    def ok(self) -> bool:
        return self.state is ConnectionState.CONNECTED


def state_for_error(exc: BaseException) -> ConnectionState:
    """The connection state an error from any call implies."""
    if isinstance(exc, AuthError):
        return ConnectionState.BAD_KEY
    if isinstance(exc, NetworkError):
        return ConnectionState.TLS if exc.kind is NetworkErrorKind.TLS else ConnectionState.OFFLINE
    if isinstance(exc, ProtocolError):
        return ConnectionState.NOT_SKYVERN
    return ConnectionState.ERROR


async def check_connection(client: SkyvernClient, *, has_key: bool = True) -> ConnectionReport:
    """``GET /v1/version`` (a Skyvern server?) and an authenticated list (a good key?).

    Both questions go out at once, so the check costs one round trip, not two.
    """
    listing: asyncio.Task[None] | None = None
    if has_key:
        listing = asyncio.get_running_loop().create_task(
            client.check_key(), name="connection.check-key"
        )
    try:
        return await _verdict(client, listing)
    except asyncio.CancelledError:
        if listing is not None:
            listing.cancel()
        raise
    finally:
        if listing is not None:
            # Let it finish rather than cancel it: a request cut off in the middle of a TLS
            # handshake leaves its socket open. Gathering also retrieves its error.
            await asyncio.gather(listing, return_exceptions=True)


async def _verdict(client: SkyvernClient, listing: asyncio.Task[None] | None) -> ConnectionReport:
    where = client.base_url
    try:
        version = (await client.version()).version
    except NetworkError as exc:
        return ConnectionReport(state_for_error(exc), str(exc))
    except (ProtocolError, NotFoundError):
        return ConnectionReport(
            ConnectionState.NOT_SKYVERN,
            f"{where} answers, but not like a Skyvern server does. Check the address.",
        )
    except ApiError as exc:
        return ConnectionReport(ConnectionState.ERROR, str(exc))
    if listing is None:
        return ConnectionReport(
            ConnectionState.NO_KEY, "The server answers. Enter its API key to connect.", version
        )
    try:
        await listing
    except AuthError as exc:
        said = f" (the server said: {exc.server_message})" if exc.server_message else ""
        return ConnectionReport(
            ConnectionState.BAD_KEY,
            f"The server refused the API key{said}. Copy the key again from Skyvern's"
            " Settings page; keys from another server do not work here.",
            version,
        )
    except (NetworkError, ProtocolError, ApiError) as exc:
        return ConnectionReport(state_for_error(exc), str(exc), version)
    return ConnectionReport(ConnectionState.CONNECTED, f"Connected to Skyvern {version}.", version)
