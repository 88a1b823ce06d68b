"""What the wallet simulator's scanner may open: a plain http(s) URL, nothing else.

A scanned code is untrusted text. The simulator navigates to it only when it is an
absolute ``http``/``https`` URL with a host, no credentials (``https://shop@evil/``
hides the real host), no whitespace or control characters, and at most
:data:`MAX_CODE_LENGTH` characters. Everything else (``javascript:``, ``data:``,
``intent:``, relative paths, ...) gets a page that says so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_CODE_LENGTH = 2048
SCHEMES = frozenset({"http", "https"})


class ScanRefused(ValueError):
    """The scanned value is not a link the wallet opens; the message says why."""


def scanned_link(value: str) -> str:
    """The URL to open for a scanned code value, or ScanRefused."""
    text = value.strip()
    if not text:
        raise ScanRefused("Nothing was scanned: paste the value of a QR code.")
    if len(text) > MAX_CODE_LENGTH:
        raise ScanRefused(f"The code is longer than {MAX_CODE_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ScanRefused("The code contains spaces or control characters: not a link.")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise ScanRefused("The code is not a valid link.") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ScanRefused("The wallet opens only http and https links.")
    if not parts.hostname:
        raise ScanRefused("The link names no host.")
    if parts.username is not None or parts.password is not None:
        raise ScanRefused("The link carries a user name or password, which can hide its host.")
    del port
    return text


def host_of(url: str) -> str:
    """``host[:port]`` of an accepted link, as the wallet shows it."""
    parts = urlsplit(url)
    return parts.netloc
