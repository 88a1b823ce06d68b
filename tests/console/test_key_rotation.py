"""Key rotation from the console: add a version, make it active, retire the old one;
then the AMS API refuses the retired version and accepts the new one."""

from __future__ import annotations

from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import text

from openams.gateway.app import Gateway, build_gateway
from openams.gateway.settings import Settings
from openams.gateway.store.engine import make_engine
from openams.gateway.store.migrate import alembic_config
from openams.protocol.keys import KeyPair, generate_key_pair
from tests.ams_client import AmsClient
from tests.console.conftest import csrf_of
from tests.console.test_pages import notice, post
from tests.gateway.integration.payloads import pay_body

BASE = "/console/m/SANDBOX_TEST_MERCHANT"
KEYS = f"{BASE}/keys"


def status_of(page: str, version: str) -> str:
    marker = f'data-testid="key-status-{version}">'
    start = page.index(marker) + len(marker)
    return page[start : page.index("<", start)].split()[0]


def test_rotate_then_retired_version_is_refused(
    console: httpx.Client, ams: AmsClient, gateway: Gateway
) -> None:
    new = generate_key_pair()
    assert ams.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"  # v1 cached

    page = notice(console, post(console, KEYS, KEYS, key_version="2", public_key=new.public_pem))
    assert status_of(page, "1") == "active" and status_of(page, "2") == "valid"

    refused = notice(console, post(console, KEYS, f"{KEYS}/retire", key_version="1", confirm="1"))
    assert "is the active one" in refused and status_of(refused, "1") == "active"

    page = notice(console, post(console, KEYS, f"{KEYS}/activate", key_version="2"))
    assert "key version 2 is now the active one" in page
    assert status_of(page, "1") == "valid" and status_of(page, "2") == "active"

    # the form on the keys page alone does not retire: the confirmation page does
    skipped = notice(console, post(console, KEYS, f"{KEYS}/retire", key_version="1"))
    assert "needs the confirmation page" in skipped and status_of(skipped, "1") == "valid"
    confirm = f"{KEYS}/retire?version=1"
    asked = console.get(confirm)
    assert asked.status_code == 200
    assert "KEY_NOT_FOUND" in asked.text and "active version, <strong>2</strong>" in asked.text
    done = notice(console, post(console, confirm, f"{KEYS}/retire", key_version="1", confirm="1"))
    assert "key version 1 retired" in done and status_of(done, "1") == "retired"

    reply = ams.call("payments/pay", pay_body())
    assert reply.code == "KEY_NOT_FOUND" and reply.result["resultStatus"] == "F"
    assert "was retired" in reply.result["resultMessage"]
    rotated = AmsClient(
        ams.http, ams.client_id, new.private_key, ams.gateway_public_key, key_version="2"
    )
    assert rotated.call("payments/pay", pay_body()).code == "PAYMENT_IN_PROCESS"

    # a retired version stays retired: no reuse, no second retirement, no page for it
    again = notice(console, post(console, KEYS, KEYS, key_version="1", public_key=new.public_pem))
    assert "was retired" in again
    assert console.get(confirm).status_code == 404
    assert "already retired" in notice(
        console, post(console, KEYS, f"{KEYS}/activate", key_version="1")
    )


def test_rotation_forms_need_csrf_and_a_known_key(
    console: httpx.Client, merchant: str, gateway: Gateway
) -> None:
    for action in ("activate", "retire"):
        reply = console.post(f"{KEYS}/{action}", data={"key_version": "1", "confirm": "1"})
        assert reply.status_code == 403
    assert console.get(f"{KEYS}/retire?version=9").status_code == 404
    assert "KEY_NOT_FOUND" in notice(
        console, post(console, KEYS, f"{KEYS}/activate", key_version="9")
    )
    token = csrf_of(console.get(KEYS).text)
    assert console.post(f"{KEYS}/retire", data={"csrf_token": token}).status_code == 303
    assert gateway.console.keys(merchant)[0].status == "active"


def test_migration_keeps_the_newest_existing_key_active(
    database_url: str, gateway_key_file: Path, merchant_keys: KeyPair
) -> None:
    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0006")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO merchants VALUES ('SANDBOX_OLD', 'old', NULL, 1, NULL)"))
            for version, created in (("1", 1000), ("2", 2000)):
                conn.execute(
                    text("INSERT INTO merchant_keys VALUES ('SANDBOX_OLD', :v, :pem, :at)"),
                    {"v": version, "pem": merchant_keys.public_pem, "at": created},
                )
    finally:
        engine.dispose()
    gateway = build_gateway(
        Settings(database_url=database_url, gateway_private_key_file=gateway_key_file)
    )
    try:
        states = {s.key.key_version: s.status for s in gateway.console.keys("SANDBOX_OLD")}
        assert states == {"1": "valid", "2": "active"}
        gateway.merchants.authenticate("SANDBOX_OLD", "1")
    finally:
        gateway.close()
