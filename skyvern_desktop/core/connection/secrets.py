"""API keys: in the OS keyring, one per profile, or, by the user's choice, only in memory.

A key is never written anywhere else. When no keyring backend exists (a headless Linux
without a Secret Service, say), :attr:`KeyStore.available` is False and the UI offers to
keep the key in memory for as long as the app runs.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from ...api.secrets import Secret, register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "skyvern-desktop"


class KeyStoreError(RuntimeError):
    """The keyring refused (locked, denied, broken). The message is plain words."""


def _usable(backend: KeyringBackend) -> bool:
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if name.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    try:
        return float(backend.priority) > 0
    except Exception:  # noqa: BLE001 - a backend that cannot say is not usable
        return False


class KeyStore:
    """Where API keys live. Calls may block briefly on D-Bus: call them off the UI thread."""

    def __init__(self, backend: KeyringBackend | None = None, service: str = SERVICE) -> None:
        # Finding the OS backend loads every keyring plugin; it is done on first use,
        # after the window is on screen, not at start-up.
        self._backend_given = backend
        self._service = service
        self._memory: dict[str, Secret] = {}

    @functools.cached_property
    def _backend(self) -> KeyringBackend:
        if self._backend_given is not None:
            return self._backend_given
        import keyring

        return keyring.get_keyring()

    @property
    def available(self) -> bool:
        return _usable(self._backend)

    @property
    def backend_name(self) -> str:
        name: str = getattr(self._backend, "name", type(self._backend).__name__)
        return name

    def is_memory_only(self, profile_id: str) -> bool:
        return profile_id in self._memory

    def get(self, profile_id: str) -> Secret | None:
        if profile_id in self._memory:
            return self._memory[profile_id]
        if not self.available:
            return None
        from keyring.errors import KeyringError

        try:
            value = self._backend.get_password(self._service, profile_id)
        except KeyringError as exc:
            raise KeyStoreError(f"The system keyring could not be read: {exc}") from None
        if value is None:
            return None
        register_secret(value)
        return Secret(value)

    def set(self, profile_id: str, key: Secret, *, memory_only: bool = False) -> None:
        register_secret(key.reveal())
        if memory_only or not self.available:
            if not memory_only:
                raise KeyStoreError("There is no system keyring to keep the key in.")
            self._memory[profile_id] = key
            return
        from keyring.errors import KeyringError

        try:
            self._backend.set_password(self._service, profile_id, key.reveal())
        except KeyringError as exc:
            raise KeyStoreError(f"The system keyring refused to store the key: {exc}") from None
        self._memory.pop(profile_id, None)

    def delete(self, profile_id: str) -> None:
        self._memory.pop(profile_id, None)
        if not self.available:
            return
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            self._backend.delete_password(self._service, profile_id)
        except PasswordDeleteError:
            pass
        except KeyringError as exc:
            raise KeyStoreError(f"The system keyring could not remove the key: {exc}") from None
