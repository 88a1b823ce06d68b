"""``openams keys``: RSA key pairs for merchants."""

from __future__ import annotations

from pathlib import Path

import click

from openams.cli._common import (
    database_option,
    fail,
    main,
)
from openams.protocol.keys import generate_key_pair


@main.group()
def keys() -> None:
    """RSA key pairs for merchants."""


@keys.command("generate")
@click.option(
    "--out",
    envvar="OPENAMS_KEYS_OUT",
    required=True,
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
)
@database_option
def keys_generate(out: Path, database_url: str) -> None:
    """Write OUT/private_key.pem (PKCS#1) and OUT/public_key.pem (SPKI)."""
    del database_url  # accepted for uniformity; keys live in files
    out.mkdir(parents=True, exist_ok=True)
    private, public = out / "private_key.pem", out / "public_key.pem"
    if private.exists():
        fail(f"{private} exists; refusing to overwrite a private key")
    pair = generate_key_pair()
    private.write_text(pair.private_pem)
    private.chmod(0o600)
    public.write_text(pair.public_pem)
    click.echo(f"wrote {private}\nwrote {public}")
