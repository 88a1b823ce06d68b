"""Where notifications may go: no private or loopback targets for production merchants."""

from __future__ import annotations

import functools
import ipaddress
import socket
from urllib.parse import urlsplit

from openams.gateway.services.pay_rules import notify_url_problem


class BlockedTarget(Exception):
    """The notify URL points somewhere the gateway will not send to."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve(host: str) -> list[Address]:
    """The host's addresses (an IP literal is its own address). Delivery resolves a
    host once, checks the addresses and connects to one of them (``delivery.py``), so
    a name that answers differently the second time (DNS rebinding) changes nothing."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise BlockedTarget(f"cannot resolve {host}: {exc}") from None
    unique: dict[str, Address] = {}
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        unique.setdefault(str(address), address)
    return list(unique.values())


def checked_addresses(host: str, *, sandbox: bool, allow_private: bool) -> list[Address]:
    """Resolve ``host`` once and return its addresses, each allowed for this merchant;
    raise ``BlockedTarget`` when any is not."""
    addresses = resolve(host)
    if not allow_private:
        for address in addresses:
            _check_address(host, address, sandbox=sandbox)
    return addresses


def _check_address(host: str, address: Address, *, sandbox: bool) -> None:
    if address.is_loopback and sandbox:
        return
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    ):
        raise BlockedTarget(
            f"notify URL host {host} resolves to {address}, a private or "
            "loopback address; production merchants may not target it"
        )


def check_scheme(url: str) -> None:
    """Refuse anything but an absolute http(s) URL with a host (never retried)."""
    problem = _url_problem(url)
    if problem is not None:
        raise UnsupportedUrl(f"notify URL {problem}")


#: A merchant's notifications mostly go to one URL: parse it once, not per attempt.
_url_problem = functools.lru_cache(maxsize=4096)(notify_url_problem)


class UnsupportedUrl(BlockedTarget):
    """Not an http(s) URL: the gateway can never deliver to it."""


def check_target(url: str, *, sandbox: bool, allow_private: bool) -> None:
    """Refuse non-HTTP(S) URLs; refuse private/loopback/link-local hosts unless allowed.

    Sandbox merchants may target loopback (a developer's laptop); production merchants
    only when ``allow_private_notify_urls`` is set.
    """
    check_scheme(url)
    host = urlsplit(url).hostname
    assert host is not None
    checked_addresses(host, sandbox=sandbox, allow_private=allow_private)
