"""Connection profiles: a name, a kind and a base URL. Never a secret: keys live in the keyring."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...api.paths import CLOUD_BASE_URL
from ..storage.files import cannot_write, set_aside
from ..storage.notices import FileNotice, Notices, Trouble

ENV_BASE_URL = "SKYVERN_BASE_URL"
ENV_API_KEY = "SKYVERN_API_KEY"
ENV_PROFILE_ID = "environment"
LOCAL_PROFILE_ID = "local-server"  # the one connection to the server the app runs itself


class ProfileKind(StrEnum):
    CLOUD = "cloud"
    SELF_HOSTED = "self_hosted"
    LOCAL = "local"

    @property
    def label(self) -> str:
        return {
            ProfileKind.CLOUD: "Skyvern Cloud",
            ProfileKind.SELF_HOSTED: "Self-hosted server",
            ProfileKind.LOCAL: "Local server",
        }[self]


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A connection: a name, a kind and a base URL. (A plain dataclass: the profiles file is
    read before the window shows, and pydantic is not needed for three strings.)"""

    name: str
    kind: ProfileKind
    base_url: str
    id: str = field(default_factory=lambda: _new_id())

    @property
    def is_environment(self) -> bool:
        return self.id == ENV_PROFILE_ID

    def replace(self, **changes: Any) -> Profile:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "base_url": self.base_url,
        }

    @classmethod
    def from_json(cls, data: object) -> Profile:
        """Read one saved profile; raises ``ValueError`` when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("a profile must be an object")
        values = {k: data.get(k) for k in ("id", "name", "kind", "base_url")}
        if not all(isinstance(v, str) and v for v in values.values()):
            raise ValueError(f"a profile needs id, name, kind and base_url: {sorted(data)}")
        return cls(
            id=str(values["id"]),
            name=str(values["name"]),
            kind=ProfileKind(str(values["kind"])),
            base_url=str(values["base_url"]),
        )


def _new_id() -> str:
    import uuid  # not on the start-up path: only new profiles need an id

    return uuid.uuid4().hex


@dataclass(slots=True)
class _ProfilesFile:
    version: int = 1
    active_id: str | None = None
    profiles: list[Profile] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: bytes) -> _ProfilesFile:
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("profiles", []), list):
            raise ValueError("not a profiles file")
        active = data.get("active_id")
        return cls(
            version=int(data.get("version", 1)),
            active_id=active if isinstance(active, str) else None,
            profiles=[Profile.from_json(p) for p in data.get("profiles", [])],
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "active_id": self.active_id,
                "profiles": [p.to_json() for p in self.profiles],
            },
            indent=2,
        )


class BaseUrlError(ValueError):
    """The address cannot be used; the message says why in plain words."""


_PRIVATE_SUFFIXES = (".localhost", ".local", ".lan", ".internal", ".home.arpa", ".intranet")


def is_private_host(host: str) -> bool:
    """Loopback, private-network and link-local addresses, and names that only exist on a LAN."""
    import ipaddress

    host = host.strip("[]").lower().rstrip(".")
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host.isdigit() or host.startswith("0x"):
            # "134744072" or "0x8080808" is an IP address in disguise (8.8.8.8), not a name.
            return False
        return host == "localhost" or host.endswith(_PRIVATE_SUFFIXES) or "." not in host
    return ip.is_loopback or ip.is_private or ip.is_link_local


def check_base_url(raw: str, kind: ProfileKind = ProfileKind.SELF_HOSTED) -> str:
    """Return the normalized base URL, or raise :class:`BaseUrlError` saying what is wrong."""
    text = raw.strip()
    if kind is ProfileKind.CLOUD and not text:
        return CLOUD_BASE_URL
    if not text:
        raise BaseUrlError("Enter the server's address, for example https://skyvern.example.com.")
    if "://" not in text:
        try:
            host_guess = urlsplit("//" + text).hostname or ""
        except ValueError:
            host_guess = ""
        text = ("http://" if is_private_host(host_guess) else "https://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise BaseUrlError(f"The address must start with https:// (not {parts.scheme}://).")
    if not parts.hostname:
        raise BaseUrlError("The address has no host name.")
    try:
        port = parts.port
    except ValueError:
        raise BaseUrlError("The port in the address is not a number between 1 and 65535.") from None
    if parts.query or parts.fragment:
        raise BaseUrlError("The address should not contain ? or #.")
    if parts.username or parts.password:
        raise BaseUrlError("Do not put a user name or password in the address; use the API key.")
    if parts.scheme == "http" and not is_private_host(parts.hostname):
        raise BaseUrlError(
            f"{parts.hostname} is on the internet, so the connection must be encrypted: "
            "use https://. Plain http:// is only allowed on this computer or a private network."
        )
    if port == 0:
        raise BaseUrlError("The port in the address is not a number between 1 and 65535.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port is not None else host
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"


def check_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValueError("Give the connection a name, for example “Production”.")
    if len(name) > 60:
        raise ValueError("Keep the name under 60 characters.")
    return name


class ProfileStore:
    """Profiles in a JSON file, written atomically. Holds no secrets.

    A damaged or unreadable file is set aside (renamed with the time) and the app starts
    with no connection; a folder that refuses writes keeps the connections in memory,
    said once, and each later change tries the disk again."""

    WHAT = "your list of connections"

    def __init__(self, path: Path, notices: Notices | None = None) -> None:
        self._path = path
        self._notices = notices if notices is not None else Notices()
        self._data = self._load()

    def _load(self) -> _ProfilesFile:
        try:
            return _ProfilesFile.parse(self._path.read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return _ProfilesFile()  # no file yet (a folder that cannot be made says so later)
        except (OSError, ValueError, TypeError, ArithmeticError, RecursionError) as exc:
            # A damaged file must not stop the app: keep it, renamed, and start clean.
            kept_as = set_aside(self._path)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._notices.add(
                FileNotice(
                    Trouble.SET_ASIDE,
                    self.WHAT,
                    self._path,
                    kept_as,
                    reason[:200],
                    "Add your connections again (File → Connections…).",
                )
            )
            return _ProfilesFile()

    def _save(self) -> None:
        try:
            self._write()
        except OSError as exc:
            if not cannot_write(exc):
                raise
            self._notices.add(
                FileNotice(Trouble.NOT_KEPT, self.WHAT, self._path, None, exc.strerror or "")
            )
        else:
            self._notices.add(FileNotice(Trouble.KEPT_AGAIN, self.WHAT, self._path))

    def _write(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile

        payload = self._data.dump()
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".profiles-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @property
    def profiles(self) -> list[Profile]:
        return list(self._data.profiles)

    def get(self, profile_id: str) -> Profile | None:
        return next((p for p in self._data.profiles if p.id == profile_id), None)

    @property
    def active(self) -> Profile | None:
        if self._data.active_id:
            found = self.get(self._data.active_id)
            if found:
                return found
        return self._data.profiles[0] if self._data.profiles else None

    def upsert(self, profile: Profile) -> None:
        others = [p for p in self._data.profiles if p.id != profile.id]
        if any(p.name.casefold() == profile.name.casefold() for p in others):
            raise ValueError(f"There is already a connection named “{profile.name}”.")
        index = next((i for i, p in enumerate(self._data.profiles) if p.id == profile.id), None)
        if index is None:
            self._data.profiles.append(profile)
        else:
            self._data.profiles[index] = profile
        self._save()

    def remove(self, profile_id: str) -> None:
        self._data.profiles = [p for p in self._data.profiles if p.id != profile_id]
        if self._data.active_id == profile_id:
            self._data.active_id = self._data.profiles[0].id if self._data.profiles else None
        self._save()

    def set_active(self, profile_id: str) -> None:
        if self.get(profile_id) is None:
            raise KeyError(profile_id)
        self._data.active_id = profile_id
        self._save()


def environment_override(environ: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """``(SKYVERN_BASE_URL, SKYVERN_API_KEY)`` from the environment, as Skyvern's SDK reads them."""
    env = os.environ if environ is None else environ
    return (env.get(ENV_BASE_URL) or None, env.get(ENV_API_KEY) or None)


def environment_profile(base_url: str) -> Profile:
    """A profile for this process only, made from ``SKYVERN_BASE_URL``. Never saved."""
    kind = ProfileKind.CLOUD if base_url.rstrip("/") == CLOUD_BASE_URL else ProfileKind.SELF_HOSTED
    return Profile(
        id=ENV_PROFILE_ID, name="From environment", kind=kind, base_url=base_url.rstrip("/")
    )


def resolve_connection(
    active: Profile | None, environ: dict[str, str] | None = None
) -> tuple[Profile, str | None] | None:
    """Which connection to open, and the key the environment gives for it (if any).

    ``SKYVERN_BASE_URL`` names the server: the saved profile when it is the same server,
    else a profile of its own. A saved profile's key never goes to another server: the
    environment's key applies to the environment's server only, and with no
    ``SKYVERN_BASE_URL`` it overrides the saved profile's key.
    """
    env_url, env_key = environment_override(environ)
    if env_url:
        env_profile = environment_profile(env_url)
        if active is not None and active.base_url == env_profile.base_url:
            return active, env_key
        return env_profile, env_key
    if active is not None:
        return active, env_key
    return None


def list_identity(profile: Profile, env_key: str | None = None) -> str:
    """Which connection a kept workflow list belongs to, as a file name: a saved connection
    by its id and address (the local server by its id alone: its port changes with each
    start), and a key given by the environment by a digest of it too, so a list is never
    shown for another connection. Nothing of a key can be read back from it."""
    import hashlib

    parts = [profile.id]
    if profile.kind is not ProfileKind.LOCAL:
        parts.append(profile.base_url)
    if env_key:
        parts.append(hashlib.sha256(env_key.encode()).hexdigest())
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def expected_list_identity(
    active: Profile | None, *, use_local: bool, environ: dict[str, str] | None = None
) -> str | None:
    """The connection the app is about to open, chosen as the connections flow chooses it
    (``--local`` or a local last connection; else the environment's or the active one), so
    its kept list can show before it is open. ``None`` when there is none to open."""
    env_url = environment_override(environ)[0]
    if use_local or (not env_url and active is not None and active.kind is ProfileKind.LOCAL):
        local = Profile(
            name="Local server", kind=ProfileKind.LOCAL, base_url="", id=LOCAL_PROFILE_ID
        )
        return list_identity(local)
    resolved = resolve_connection(active, environ)
    return list_identity(*resolved) if resolved is not None else None
