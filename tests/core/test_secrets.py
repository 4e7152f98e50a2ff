"""KeyStore: keys go to the keyring backend, or to memory only when the user chooses so."""

from __future__ import annotations

import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring

from skyvern_desktop.api.secrets import Secret, scrub
from skyvern_desktop.core.connection.secrets import SERVICE, KeyStore, KeyStoreError


class MemoryKeyring(KeyringBackend):
    """A usable keyring that keeps passwords in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("Password not found") from None


class LockedKeyring(MemoryKeyring):
    """A keyring that is there but refuses everything (locked, access denied)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("access denied by the user")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringError("D-Bus said no")


class ZeroPriorityKeyring(MemoryKeyring):
    priority = 0


# keyring registers every concrete backend class it sees as a candidate for
# keyring.get_keyring(); these test doubles must never be picked by other tests.
for _cls in (MemoryKeyring, LockedKeyring, ZeroPriorityKeyring):
    KeyringBackend._classes.discard(_cls)


# ---------------------------------------------------------------------- no keyring


def test_without_a_keyring_nothing_is_available() -> None:
    store = KeyStore(backend=FailKeyring())
    assert store.available is False
    assert store.get("p1") is None
    assert store.is_memory_only("p1") is False
    store.delete("p1")  # nothing to delete is fine


def test_without_a_keyring_saving_needs_memory_only() -> None:
    store = KeyStore(backend=FailKeyring())
    with pytest.raises(KeyStoreError, match="no system keyring") as caught:
        store.set("p1", Secret("sk-no-keyring-0001"))
    assert "sk-no-keyring" not in str(caught.value)
    assert store.get("p1") is None
    assert store.is_memory_only("p1") is False


def test_without_a_keyring_a_key_can_live_in_memory() -> None:
    store = KeyStore(backend=FailKeyring())
    key = Secret("sk-memory-only-0002")
    store.set("p1", key, memory_only=True)
    assert store.is_memory_only("p1")
    assert store.get("p1") == key
    assert store.get("p2") is None
    store.delete("p1")
    assert store.is_memory_only("p1") is False
    assert store.get("p1") is None


def test_memory_keys_belong_to_one_store() -> None:
    first = KeyStore(backend=FailKeyring())
    first.set("p1", Secret("sk-first-store-0003"), memory_only=True)
    assert KeyStore(backend=FailKeyring()).get("p1") is None


def test_saved_keys_are_scrubbed_from_text() -> None:
    store = KeyStore(backend=FailKeyring())
    memory_key = "sk-scrub-memory-0004"
    refused_key = "sk-scrub-refused-0005"
    store.set("p1", Secret(memory_key), memory_only=True)
    with pytest.raises(KeyStoreError):
        store.set("p2", Secret(refused_key))
    assert scrub(f"a {memory_key} b {refused_key} c") == "a *** b *** c"


# ---------------------------------------------------------------------- a working keyring


def test_a_working_backend_is_available_and_named() -> None:
    store = KeyStore(backend=MemoryKeyring())
    assert store.available is True
    assert isinstance(store.backend_name, str)
    assert store.backend_name


def test_zero_priority_backend_is_not_available() -> None:
    backend = ZeroPriorityKeyring()
    backend.store[(SERVICE, "p1")] = "sk-unreachable-0006"
    store = KeyStore(backend=backend)
    assert store.available is False
    assert store.get("p1") is None
    assert backend.calls == []


def test_get_set_delete_go_to_the_backend() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend=backend)
    key = Secret("sk-in-keyring-0007")
    store.set("p1", key)
    assert backend.store == {(SERVICE, "p1"): "sk-in-keyring-0007"}
    assert store.is_memory_only("p1") is False
    assert store.get("p1") == key
    assert store.get("p2") is None
    store.delete("p1")
    assert backend.store == {}
    assert store.get("p1") is None
    assert [c[0] for c in backend.calls] == ["set", "get", "get", "delete", "get"]
    assert {c[1] for c in backend.calls} == {SERVICE}


def test_the_service_name_is_used() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend=backend, service="skyvern-desktop-test")
    store.set("p1", Secret("sk-service-name-0008"))
    assert list(backend.store) == [("skyvern-desktop-test", "p1")]
    assert KeyStore(backend=backend).get("p1") is None


def test_deleting_a_missing_key_is_fine() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend=backend)
    store.delete("never-saved")
    assert backend.calls == [("delete", SERVICE, "never-saved")]


def test_a_key_read_from_the_keyring_is_scrubbed_from_text() -> None:
    backend = MemoryKeyring()
    value = "sk-from-another-session-0009"
    backend.store[(SERVICE, "p1")] = value
    store = KeyStore(backend=backend)
    got = store.get("p1")
    assert got is not None
    assert got.reveal() == value
    assert scrub(f"header {value}") == "header ***"


def test_memory_only_wins_over_the_keyring_until_saved_properly() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend=backend)
    store.set("p1", Secret("sk-temporary-0010"), memory_only=True)
    assert backend.store == {}
    assert store.is_memory_only("p1")
    assert store.get("p1") == Secret("sk-temporary-0010")
    store.set("p1", Secret("sk-permanent-0011"))
    assert store.is_memory_only("p1") is False
    assert backend.store == {(SERVICE, "p1"): "sk-permanent-0011"}
    assert store.get("p1") == Secret("sk-permanent-0011")


def test_delete_clears_memory_and_keyring() -> None:
    backend = MemoryKeyring()
    backend.store[(SERVICE, "p1")] = "sk-old-keyring-0012"
    store = KeyStore(backend=backend)
    store.set("p1", Secret("sk-memory-0013"), memory_only=True)
    store.delete("p1")
    assert store.get("p1") is None
    assert backend.store == {}


# ---------------------------------------------------------------------- keyring failures


def test_a_locked_keyring_read_is_a_key_store_error() -> None:
    store = KeyStore(backend=LockedKeyring())
    assert store.available
    with pytest.raises(KeyStoreError) as caught:
        store.get("p1")
    assert str(caught.value) == "The system keyring could not be read: the collection is locked"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_refused_write_is_a_key_store_error_without_the_key() -> None:
    store = KeyStore(backend=LockedKeyring())
    with pytest.raises(KeyStoreError) as caught:
        store.set("p1", Secret("sk-refused-write-0014"))
    message = str(caught.value)
    assert message == "The system keyring refused to store the key: access denied by the user"
    assert "sk-refused-write" not in message
    assert store.is_memory_only("p1") is False


def test_a_refused_delete_is_a_key_store_error() -> None:
    store = KeyStore(backend=LockedKeyring())
    with pytest.raises(KeyStoreError, match=r"^The system keyring could not remove the key: D-Bus"):
        store.delete("p1")


def test_a_memory_key_is_still_usable_when_the_keyring_is_locked() -> None:
    store = KeyStore(backend=LockedKeyring())
    store.set("p1", Secret("sk-locked-memory-0015"), memory_only=True)
    assert store.get("p1") == Secret("sk-locked-memory-0015")
