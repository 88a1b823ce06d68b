"""The gateway's own signing key: made on first start, kept in the database."""

from __future__ import annotations

from sqlalchemy import Engine, select

from openams.gateway.domain.clock import system_clock
from openams.gateway.store.repositories import insert_if_absent
from openams.gateway.store.tables import gateway_keys
from openams.protocol.keys import KeyPair, generate_key_pair, load_private_key

GATEWAY_KEY_VERSION = "1"


def load_or_create_gateway_key(engine: Engine) -> KeyPair:
    """The stored key pair; generated and stored on first use (race-safe)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(gateway_keys.c.private_pem).where(
                gateway_keys.c.key_version == GATEWAY_KEY_VERSION
            )
        ).first()
    if row is not None:
        return KeyPair(load_private_key(row.private_pem))
    pair = generate_key_pair()
    with engine.begin() as conn:
        insert_if_absent(
            conn,
            gateway_keys,
            {
                "key_version": GATEWAY_KEY_VERSION,
                "private_pem": pair.private_pem,
                "public_pem": pair.public_pem,
                "created_at": system_clock(),
            },
        )
    # Another process may have won the insert: read back whichever key is stored.
    return load_or_create_gateway_key(engine)
