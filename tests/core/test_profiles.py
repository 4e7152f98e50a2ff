"""Connection profiles: address checks, names, and the JSON file that holds no secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from skyvern_desktop.api import CLOUD_BASE_URL
from skyvern_desktop.core.connection.profiles import (
    ENV_PROFILE_ID,
    BaseUrlError,
    Profile,
    ProfileKind,
    ProfileStore,
    check_base_url,
    check_name,
    environment_override,
    environment_profile,
    is_private_host,
)
from skyvern_desktop.core.storage.notices import Notices, Trouble

# ---------------------------------------------------------------------- check_base_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://skyvern.example.com/", "https://skyvern.example.com"),
        ("https://skyvern.example.com///", "https://skyvern.example.com"),
        ("  https://skyvern.example.com/api/  ", "https://skyvern.example.com/api"),
        ("https://skyvern.example.com:8443/", "https://skyvern.example.com:8443"),
        ("HTTPS://Skyvern.Example.COM", "https://skyvern.example.com"),
        # No scheme typed: https for the internet, http on this computer or the LAN.
        ("skyvern.example.com", "https://skyvern.example.com"),
        ("skyvern.example.com/api/", "https://skyvern.example.com/api"),
        ("8.8.8.8", "https://8.8.8.8"),
        ("localhost:8000", "http://localhost:8000"),
        ("localhost", "http://localhost"),
        ("127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("10.0.0.5", "http://10.0.0.5"),
        ("192.168.1.2:8000", "http://192.168.1.2:8000"),
        ("skyvern.local:8000", "http://skyvern.local:8000"),
        ("nas", "http://nas"),
    ],
)
def test_check_base_url_normalises(raw: str, expected: str) -> None:
    assert check_base_url(raw) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://127.5.6.7",
        "http://[::1]:8000",
        "http://10.0.0.5",
        "http://192.168.1.2:8000",
        "http://172.16.3.4",
        "http://172.31.255.254",
        "http://169.254.10.20",
        "http://[fe80::1]:8000",
        "http://[fd00::5]",
        "http://skyvern.local",
        "http://skyvern.lan:8000",
        "http://skyvern.internal",
        "http://skyvern.home.arpa",
        "http://app.localhost",
        "http://skyvern:8000",
    ],
)
def test_plain_http_is_accepted_on_this_computer_and_private_networks(url: str) -> None:
    assert check_base_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8",
        "http://8.8.8.8:8000",
        "http://172.32.0.1",
        "http://skyvern.example.com",
        "http://skyvern.example.com:8000/api",
        "http://[2606:4700:4700::1111]",
        "http://localhost.example.com",
    ],
)
def test_plain_http_is_refused_for_public_hosts(url: str) -> None:
    with pytest.raises(BaseUrlError, match=r"https://") as caught:
        check_base_url(url)
    assert "internet" in str(caught.value)


def test_https_is_fine_for_public_and_private_hosts() -> None:
    assert check_base_url("https://8.8.8.8") == "https://8.8.8.8"
    assert check_base_url("https://localhost:8443/") == "https://localhost:8443"
    assert check_base_url("https://[::1]:8443") == "https://[::1]:8443"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "Enter the server's address"),
        ("   ", "Enter the server's address"),
        ("ftp://files.example.com", "not ftp://"),
        ("ws://localhost:8000", "not ws://"),
        ("https://", "no host name"),
        ("https://skyvern.example.com:99999", "port"),
        ("https://skyvern.example.com:http", "port"),
        ("localhost:abc", "port"),
        ("https://skyvern.example.com/?org=1", "? or #"),
        ("https://skyvern.example.com/#top", "? or #"),
        ("https://user:password@skyvern.example.com", "user name or password"),
        ("https://user@skyvern.example.com", "user name or password"),
    ],
)
def test_bad_addresses_are_refused_in_plain_words(raw: str, words: str) -> None:
    with pytest.raises(BaseUrlError) as caught:
        check_base_url(raw)
    message = str(caught.value)
    assert words in message
    assert "Traceback" not in message
    assert message.endswith(".")


def test_a_password_in_the_address_is_not_echoed_back() -> None:
    with pytest.raises(BaseUrlError) as caught:
        check_base_url("https://admin:hunter2-secret@skyvern.example.com")
    assert "hunter2" not in str(caught.value)


def test_cloud_kind_with_empty_text_means_skyvern_cloud() -> None:
    assert check_base_url("", ProfileKind.CLOUD) == CLOUD_BASE_URL == "https://api.skyvern.com"
    assert check_base_url("  ", ProfileKind.CLOUD) == CLOUD_BASE_URL
    assert check_base_url("https://api.skyvern.com/", ProfileKind.CLOUD) == CLOUD_BASE_URL
    with pytest.raises(BaseUrlError):
        check_base_url("", ProfileKind.SELF_HOSTED)
    with pytest.raises(BaseUrlError):
        check_base_url("", ProfileKind.LOCAL)


def test_ipv6_loopback_without_scheme_gets_http() -> None:
    # host_guess = text.split("/")[0].split(":")[0] is "[" for "[::1]:8000".
    assert check_base_url("[::1]:8000") == "http://[::1]:8000"


def test_port_zero_is_refused() -> None:
    with pytest.raises(BaseUrlError, match="port"):
        check_base_url("http://localhost:0")


def test_numeric_host_that_resolves_to_a_public_ip_needs_https() -> None:
    with pytest.raises(BaseUrlError, match="https://"):
        check_base_url("http://134744072")


# ---------------------------------------------------------------------- is_private_host


@pytest.mark.parametrize(
    ("host", "private"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.0.10", True),
        ("169.254.1.1", True),
        ("fe80::1", True),
        ("fd12:3456::1", True),
        ("printer.local", True),
        ("box.lan", True),
        ("svc.internal", True),
        ("router.home.arpa", True),
        ("corp.intranet", True),
        ("nas", True),
        ("", False),
        ("[]", False),
        ("8.8.8.8", False),
        ("1.1.1.1", False),
        ("172.32.0.1", False),
        ("2606:4700:4700::1111", False),
        ("skyvern.example.com", False),
        ("api.skyvern.com", False),
        ("local.example.com", False),
        ("example.localz", False),
    ],
)
def test_is_private_host(host: str, private: bool) -> None:
    assert is_private_host(host) is private


# ---------------------------------------------------------------------- check_name


def test_check_name_collapses_whitespace() -> None:
    assert check_name("  Production   server \t") == "Production server"
    assert check_name("x" * 60) == "x" * 60


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_check_name_refuses_empty(raw: str) -> None:
    with pytest.raises(ValueError, match="Give the connection a name"):
        check_name(raw)


def test_check_name_refuses_long_names() -> None:
    with pytest.raises(ValueError, match="under 60"):
        check_name("x" * 61)


def test_profile_kind_labels() -> None:
    assert ProfileKind.CLOUD.label == "Skyvern Cloud"
    assert ProfileKind.SELF_HOSTED.label == "Self-hosted server"
    assert ProfileKind.LOCAL.label == "Local server"


# ---------------------------------------------------------------------- ProfileStore


def _profile(name: str, url: str = "http://localhost:8000", **kw: str) -> Profile:
    return Profile(name=name, kind=ProfileKind.SELF_HOSTED, base_url=url, **kw)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.json"


def test_a_new_store_is_empty_and_writes_nothing(store_path: Path) -> None:
    store = ProfileStore(store_path)
    assert store.profiles == []
    assert store.active is None
    assert store.get("nope") is None
    assert not store_path.exists()


def test_profiles_round_trip_through_the_file(store_path: Path) -> None:
    store = ProfileStore(store_path)
    prod = _profile("Production", "https://skyvern.example.com")
    local = Profile(name="Local", kind=ProfileKind.LOCAL, base_url="http://127.0.0.1:8000")
    cloud = Profile(name="Cloud", kind=ProfileKind.CLOUD, base_url=CLOUD_BASE_URL)
    for p in (prod, local, cloud):
        store.upsert(p)
    store.set_active(local.id)

    again = ProfileStore(store_path)
    assert again.profiles == [prod, local, cloud]
    assert again.active == local
    loaded = again.get(cloud.id)
    assert loaded == cloud
    assert loaded is not None
    assert loaded.kind is ProfileKind.CLOUD


def test_active_defaults_to_the_first_profile(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a, b = _profile("A"), _profile("B")
    store.upsert(a)
    store.upsert(b)
    assert store.active == a
    store.set_active(b.id)
    assert store.active == b


def test_active_id_that_no_longer_exists_falls_back_to_the_first(store_path: Path) -> None:
    a = _profile("A")
    store_path.parent.mkdir(parents=True)
    store_path.write_text(
        json.dumps({"version": 1, "active_id": "gone", "profiles": [a.to_json()]})
    )
    assert ProfileStore(store_path).active == a


def test_upsert_updates_in_place(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a, b, c = _profile("A"), _profile("B"), _profile("C")
    for p in (a, b, c):
        store.upsert(p)
    renamed = b.replace(name="B2", base_url="http://10.0.0.5:8000")
    store.upsert(renamed)
    assert [p.name for p in store.profiles] == ["A", "B2", "C"]
    assert store.get(b.id) == renamed
    assert [p.name for p in ProfileStore(store_path).profiles] == ["A", "B2", "C"]


def test_upsert_may_keep_its_own_name_in_another_case(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a = _profile("Prod")
    store.upsert(a)
    store.upsert(a.replace(name="PROD"))
    assert [p.name for p in store.profiles] == ["PROD"]


@pytest.mark.parametrize("duplicate", ["Production", "production", "PRODUCTION"])
def test_duplicate_names_are_refused(store_path: Path, duplicate: str) -> None:
    store = ProfileStore(store_path)
    first = _profile("Production")
    store.upsert(first)
    saved = store_path.read_bytes()
    with pytest.raises(ValueError, match="already a connection named"):
        store.upsert(_profile(duplicate))
    assert store_path.read_bytes() == saved
    other = _profile("Other")
    store.upsert(other)
    with pytest.raises(ValueError, match="already a connection named"):
        store.upsert(other.replace(name=duplicate))
    assert [p.name for p in store.profiles] == ["Production", "Other"]
    assert [p.name for p in ProfileStore(store_path).profiles] == ["Production", "Other"]


def test_remove_moves_active_to_another_profile(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a, b, c = _profile("A"), _profile("B"), _profile("C")
    for p in (a, b, c):
        store.upsert(p)
    store.set_active(b.id)
    store.remove(b.id)
    assert store.get(b.id) is None
    assert store.active == a
    assert ProfileStore(store_path).active == a
    store.set_active(c.id)
    store.remove(a.id)  # not the active one: active stays
    assert store.active == c
    store.remove(c.id)
    assert store.active is None
    assert store.profiles == []
    assert ProfileStore(store_path).active is None
    assert json.loads(store_path.read_text())["active_id"] is None


def test_remove_unknown_id_changes_nothing(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a = _profile("A")
    store.upsert(a)
    store.remove("no-such-id")
    assert store.profiles == [a]


def test_set_active_unknown_id_raises_key_error(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a = _profile("A")
    store.upsert(a)
    store.set_active(a.id)
    with pytest.raises(KeyError):
        store.set_active("no-such-id")
    assert store.active == a


def test_profiles_list_is_a_copy(store_path: Path) -> None:
    store = ProfileStore(store_path)
    store.upsert(_profile("A"))
    store.profiles.clear()
    assert len(store.profiles) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"null",
        b'{"profiles": [{"name": "A"}]}',
        b'{"profiles": [{"name": "A", "kind": "martian", "base_url": "x"}]}',
        b'{"profiles": [{"id": "", "name": "A", "kind": "cloud", "base_url": "x"}]}',
        b'{"profiles": [{"id": "p", "name": 7, "kind": "cloud", "base_url": "x"}]}',
        b'{"profiles": ["A"]}',
        b'{"profiles": {}}',
        b'{"profiles": null}',
        b'{"version": "one", "profiles": []}',
        b'{"version": null, "profiles": []}',
        b'{"version": NaN, "profiles": []}',
    ],
)
def test_a_damaged_file_is_moved_aside_and_the_store_starts_empty(
    store_path: Path, content: bytes
) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(content)
    store = ProfileStore(store_path)
    assert store.profiles == []
    assert store.active is None
    [damaged] = store_path.parent.glob("profiles.json.damaged-*")
    assert damaged.read_bytes() == content
    assert not store_path.exists()
    # The store is usable afterwards and writes a fresh file.
    store.upsert(_profile("A"))
    assert [p.name for p in ProfileStore(store_path).profiles] == ["A"]
    assert damaged.read_bytes() == content


def _assert_damaged_file_is_set_aside(store_path: Path, content: bytes) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(content)
    store = ProfileStore(store_path)
    assert store.profiles == []
    [damaged] = store_path.parent.glob("profiles.json.damaged-*")
    assert damaged.read_bytes() == content


def test_a_deeply_nested_damaged_file_is_moved_aside(store_path: Path) -> None:
    _assert_damaged_file_is_set_aside(store_path, b"[" * 100_000)


def test_a_file_with_an_infinite_version_is_moved_aside(store_path: Path) -> None:
    _assert_damaged_file_is_set_aside(store_path, b'{"version": 1e400, "profiles": []}')


_ALLOWED_TOP = {"version", "active_id", "profiles"}
_ALLOWED_PROFILE = {"id", "name", "kind", "base_url"}


def _assert_only_allowed_keys(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) <= _ALLOWED_TOP
    for profile in data["profiles"]:
        assert set(profile) <= _ALLOWED_PROFILE


def test_the_file_holds_no_secrets(store_path: Path) -> None:
    secret = "sk-never-in-profiles-5a1d"
    store_path.parent.mkdir(parents=True)
    # A file from some other build with extra fields: they are dropped on the next save.
    store_path.write_text(
        json.dumps(
            {
                "version": 1,
                "active_id": "p1",
                "api_key": secret,
                "profiles": [
                    {
                        "id": "p1",
                        "name": "Old",
                        "kind": "self_hosted",
                        "base_url": "http://localhost:8000",
                        "api_key": secret,
                        "token": secret,
                    }
                ],
            }
        )
    )
    store = ProfileStore(store_path)
    assert [p.name for p in store.profiles] == ["Old"]
    store.upsert(_profile("New", "https://skyvern.example.com"))
    text = store_path.read_text(encoding="utf-8")
    assert secret not in text
    _assert_only_allowed_keys(store_path)
    data = json.loads(text)
    assert data["version"] == 1
    assert data["active_id"] == "p1"
    assert {p["name"] for p in data["profiles"]} == {"Old", "New"}


def test_every_write_leaves_only_the_profiles_file(store_path: Path) -> None:
    store = ProfileStore(store_path)
    a = _profile("A")
    store.upsert(a)
    store.upsert(_profile("B"))
    store.set_active(a.id)
    store.remove(a.id)
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["profiles.json"]
    _assert_only_allowed_keys(store_path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = Notices()
    store = ProfileStore(store_path, notices)
    store.upsert(_profile("A"))
    before = store_path.read_bytes()

    def refuse(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "replace", refuse)
        store.upsert(_profile("B"))  # a full disk never stops the app: kept in memory
    assert [p.name for p in store.profiles] == ["A", "B"]
    assert [n.trouble for n in notices.said] == [Trouble.NOT_KEPT]
    assert notices.said[0].reason == "No space left on device"
    assert store_path.read_bytes() == before
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["profiles.json"]
    assert [p.name for p in ProfileStore(store_path).profiles] == ["A"]


# ---------------------------------------------------------------------- environment


def test_environment_override_reads_the_given_mapping() -> None:
    env = {"SKYVERN_BASE_URL": "http://localhost:8000", "SKYVERN_API_KEY": "sk-env-key-123"}
    assert environment_override(env) == ("http://localhost:8000", "sk-env-key-123")
    assert environment_override({}) == (None, None)
    assert environment_override({"SKYVERN_BASE_URL": "", "SKYVERN_API_KEY": ""}) == (None, None)


def test_environment_override_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment_override() == (None, None)  # the autouse fixture cleared them
    monkeypatch.setenv("SKYVERN_BASE_URL", "https://skyvern.example.com")
    assert environment_override() == ("https://skyvern.example.com", None)
    monkeypatch.setenv("SKYVERN_API_KEY", "sk-from-env-0001")
    assert environment_override() == ("https://skyvern.example.com", "sk-from-env-0001")


@pytest.mark.parametrize(
    ("url", "kind", "base"),
    [
        ("https://api.skyvern.com", ProfileKind.CLOUD, "https://api.skyvern.com"),
        ("https://api.skyvern.com/", ProfileKind.CLOUD, "https://api.skyvern.com"),
        ("http://localhost:8000/", ProfileKind.SELF_HOSTED, "http://localhost:8000"),
        ("https://skyvern.example.com", ProfileKind.SELF_HOSTED, "https://skyvern.example.com"),
    ],
)
def test_environment_profile(url: str, kind: ProfileKind, base: str) -> None:
    profile = environment_profile(url)
    assert profile.id == ENV_PROFILE_ID
    assert profile.is_environment
    assert profile.kind is kind
    assert profile.base_url == base
    assert profile.name == "From environment"


def test_saved_profiles_are_not_environment_profiles() -> None:
    assert not _profile("A").is_environment
    assert _profile("A").id != _profile("B").id
