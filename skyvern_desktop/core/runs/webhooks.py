"""How a Skyvern server will treat a webhook address, said before a run uses it. No Qt.

What the server does (skyvern 1.0.56, ``utils/url_validators.py``): a webhook must be an
``http(s)`` address, and never an AWS load balancer's own DNS name. With URL validation on
(Skyvern Cloud; ``ENABLE_URL_VALIDATION=true`` on a self-hosted server) it refuses
``localhost``, loopback, private-network, link-local (cloud metadata) and internal names
(``.local``, ``.internal``, ``.svc``…) unless the host is in its ``ALLOWED_HOSTS``. A
self-hosted server has validation off unless it was turned on. The address is reached from
the server's computer, not this one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from ..connection.urls import is_loopback

_INTERNAL_SUFFIXES = (
    ".local", ".localhost", ".internal", ".intranet", ".lan", ".home.arpa", ".svc"
)  # fmt: skip
_CLOUD_SUFFIX = "skyvern.com"
_BAD_ADDRESS = "The webhook must be a web address starting with https:// or http://."


class Level(StrEnum):
    ERROR = "error"  # the server will refuse it: the run cannot be started with it
    WARNING = "warning"  # likely not to work, as typed
    NOTE = "note"  # works, with something worth knowing


class Where(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link-local"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Verdict:
    level: Level | None  # None: nothing to say
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.level is not Level.ERROR


def where(host: str) -> Where:
    """Which kind of network ``host`` is on, read from the name alone (no DNS)."""
    name = host.strip("[]").lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        if name == "localhost" or name.endswith(".localhost"):
            return Where.LOOPBACK
        if "." not in name or name.endswith(_INTERNAL_SUFFIXES):
            return Where.INTERNAL
        return Where.PUBLIC
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return Where.LOOPBACK
    if ip.is_link_local:
        return Where.LINK_LOCAL
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return Where.PRIVATE
    return Where.PUBLIC


def _is_load_balancer(host: str) -> bool:
    labels = host.lower().split(".")
    if host.endswith(".amazonaws.com.cn"):
        service = labels[:-3]
    elif host.endswith(".amazonaws.com"):
        service = labels[:-2]
    else:
        return False
    return len(service) >= 3 and "elb" in service[-2:]


def is_cloud(server_url: str) -> bool:
    host = (urlsplit(server_url).hostname or "").lower()
    return host == _CLOUD_SUFFIX or host.endswith("." + _CLOUD_SUFFIX)


_KIND = {
    Where.LOOPBACK: "a loopback address (the server's own computer)",
    Where.PRIVATE: "a private-network address",
    Where.LINK_LOCAL: "a link-local address (such as a cloud's metadata service)",
    Where.INTERNAL: "an internal name, not one on the internet",
}


def check_webhook(url: str, *, server_url: str) -> Verdict:
    """What to tell the person about ``url`` as the webhook of a run on ``server_url``."""
    url = url.strip()
    if not url:
        return Verdict(None)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a bad port raises ValueError here
    except ValueError:
        return Verdict(Level.ERROR, _BAD_ADDRESS)
    if parts.scheme not in ("http", "https") or not host:
        return Verdict(Level.ERROR, _BAD_ADDRESS)
    if _is_load_balancer(host):
        return Verdict(
            Level.ERROR,
            "Skyvern refuses an AWS load balancer's own address: use a stable hostname of"
            " your own that points to it.",
        )
    kind = where(host)
    cloud = is_cloud(server_url)
    if kind is not Where.PUBLIC:
        if cloud:
            return Verdict(
                Level.ERROR,
                f"Skyvern Cloud refuses {_KIND[kind]} as a webhook. Use an address the"
                " internet can reach.",
            )
        if kind is Where.LOOPBACK and not is_loopback(server_url):
            server = urlsplit(server_url).hostname or server_url
            return Verdict(
                Level.WARNING,
                f"{host} is the server's own computer ({server}), not this one: the result"
                " goes there. The server accepts it only while its URL validation is off.",
            )
        return Verdict(
            Level.NOTE,
            f"This is {_KIND[kind]}. A self-hosted Skyvern sends to it while its URL"
            " validation is off (the default) or the host is in its ALLOWED_HOSTS; with"
            " validation on, it refuses it.",
        )
    if parts.scheme == "http":
        return Verdict(
            Level.NOTE, "The result travels unencrypted over http://; https:// is safer."
        )
    return Verdict(None)
