"""``openams merchants set --frame-origin`` and ``merchants add --frame-origin`` (issue 17)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from openams.gateway.app import build_gateway
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.frame_origins import normalize_origin
from openams.gateway.settings import Settings
from tests.gateway.integration.test_cli import OPENAMS, run


def stored_origins(database_url: str, client_id: str) -> tuple[str, ...]:
    gateway = build_gateway(Settings(database_url=database_url))
    try:
        return gateway.frame_origins.origins(client_id)
    finally:
        gateway.close()


def fails(*args: str) -> str:
    done = subprocess.run([OPENAMS, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, done.stdout
    return done.stderr


def test_merchants_add_and_set_register_frame_origins(tmp_path: Path, database_url: str) -> None:
    run("keys", "generate", "--out", str(tmp_path / "keys"))
    db = ["--database-url", database_url]
    key = ["--public-key-file", str(tmp_path / "keys" / "public_key.pem")]
    said = run(
        "merchants", "add", "--client-id", "SANDBOX_SHOP", *key,
        "--frame-origin", "https://Shop.Example:443/", "--frame-origin", "http://127.0.0.1:8081",
        *db,
    )  # fmt: skip
    assert "frame origins https://shop.example http://127.0.0.1:8081" in said
    assert stored_origins(database_url, "SANDBOX_SHOP") == (
        "https://shop.example",
        "http://127.0.0.1:8081",
    )
    # set replaces the whole list; --no-frame-origins empties it.
    run(
        "merchants",
        "set",
        "--client-id",
        "SANDBOX_SHOP",
        "--frame-origin",
        "https://b.example",
        *db,
    )
    assert stored_origins(database_url, "SANDBOX_SHOP") == ("https://b.example",)
    run("merchants", "set", "--client-id", "SANDBOX_SHOP", "--no-frame-origins", *db)
    assert stored_origins(database_url, "SANDBOX_SHOP") == ()
    # Bad input: a clear message, nothing stored, no traceback.
    for bad in ("*", "https://shop.example/checkout", "ftp://shop.example", "https://*.example"):
        error = fails("merchants", "set", "--client-id", "SANDBOX_SHOP", "--frame-origin", bad, *db)
        assert error.startswith("error: frame origin") and "Traceback" not in error, error
    assert stored_origins(database_url, "SANDBOX_SHOP") == ()
    unknown = fails(
        "merchants", "set", "--client-id", "NOBODY", "--frame-origin", "https://a.b", *db
    )
    assert "not registered" in unknown
    assert "nothing to set" in fails("merchants", "set", "--client-id", "SANDBOX_SHOP", *db)
    # A bad origin on add refuses the whole command before registering anything.
    refused = fails(
        "merchants", "add", "--client-id", "SANDBOX_LATER", *key, "--frame-origin", "nope", *db
    )
    assert "frame origin" in refused
    gateway = build_gateway(Settings(database_url=database_url))
    try:
        assert gateway.merchants.get("SANDBOX_LATER") is None
    finally:
        gateway.close()


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://shop.example", "https://shop.example"),
        ("HTTPS://SHOP.EXAMPLE:443", "https://shop.example"),
        ("http://localhost:8081/", "http://localhost:8081"),
        ("http://[::1]:8081", "http://[::1]:8081"),
    ],
)
def test_origins_are_normalised(given: str, origin: str) -> None:
    assert normalize_origin(given) == origin


def test_too_many_origins_are_refused() -> None:
    from openams.gateway.domain.frame_origins import MAX_ORIGINS, normalize_origins

    with pytest.raises(DomainError, match="at most"):
        normalize_origins([f"https://s{n}.example" for n in range(MAX_ORIGINS + 1)])
