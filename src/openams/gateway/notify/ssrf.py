"""Where notifications may go: no private or loopback targets for production merchants."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class BlockedTarget(Exception):
    """The notify URL points somewhere the gateway will not send to."""


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise BlockedTarget(f"cannot resolve {host}: {exc}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_target(url: str, *, sandbox: bool, allow_private: bool) -> None:
    """Refuse non-HTTP(S) URLs; refuse private/loopback/link-local hosts unless allowed.

    Sandbox merchants may target loopback (a developer's laptop); production merchants
    only when ``allow_private_notify_urls`` is set.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedTarget(f"notify URL {url[:100]!r} is not an http(s) URL")
    if allow_private:
        return
    for address in _addresses(parts.hostname):
        if address.is_loopback and sandbox:
            continue
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise BlockedTarget(
                f"notify URL host {parts.hostname} resolves to {address}, a private or "
                "loopback address; production merchants may not target it"
            )
