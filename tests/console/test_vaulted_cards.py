"""The console's read-only Vaulted cards page and ``openams vaultings list``."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from playwright.sync_api import expect

from openams.gateway.app import Gateway
from tests.ams_client import AmsClient
from tests.chromium import chromium_browser
from tests.console.conftest import sign_in_page
from tests.console.test_browser import SHOTS
from tests.gateway.integration.card_payloads import VISA, VISA_3DS, VISA_DECLINED
from tests.gateway.integration.test_cli import run
from tests.gateway.integration.vaulting_payloads import vault_body


def _vault_three(ams: AmsClient) -> dict[str, str]:
    ids = {}
    for name, card in (("ok", VISA), ("3ds", VISA_3DS), ("declined", VISA_DECLINED)):
        body = vault_body(card)
        ams.call("vaults/vaultPaymentMethod", body)
        ids[name] = body["vaultingRequestId"]
    return ids


def test_vaulted_cards_page_lists_each_vaulting_of_its_merchant(
    console: httpx.Client, ams: AmsClient, other_ams: AmsClient, gateway: Gateway
) -> None:
    ids = _vault_three(ams)
    foreign = vault_body(VISA, request_id="FOREIGN_<b>x</b>")
    other_ams.call("vaults/vaultPaymentMethod", foreign)
    with gateway.store() as uow:
        token = uow.vaultings.get_by_request_id(ams.client_id, ids["ok"])
        assert token is not None and token.card is not None
    page = console.get(f"/console/m/{ams.client_id}/vaulted-cards")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="vaulted-cards"' in html and "Vaulted cards" in html
    for request_id in ids.values():
        assert request_id in html
    assert str(token.card.card_token) in html and token.vaulting_id in html
    assert "411111******1111" in html and VISA not in html
    assert "PROCESS_FAIL" in html and "PROCESSING" in html and "SUCCESS" in html
    assert "FOREIGN" not in html  # another merchant's vaulting
    escaped = console.get(f"/console/m/{other_ams.client_id}/vaulted-cards").text
    assert "FOREIGN_&lt;b&gt;x&lt;/b&gt;" in escaped and "<b>x</b>" not in escaped
    assert console.get("/console/m/NOBODY/vaulted-cards").status_code == 404


def test_vaulted_cards_page_needs_a_session(http: httpx.Client, merchant: str) -> None:
    reply = http.get(f"/console/m/{merchant}/vaulted-cards")
    assert reply.status_code == 303 and reply.headers["location"].endswith("/console/login")


def test_cli_lists_the_vaultings_as_csv(ams: AmsClient, gateway: Gateway) -> None:
    ids = _vault_three(ams)
    out = run(
        "vaultings",
        "list",
        "--client-id",
        ams.client_id,
        "--database-url",
        gateway.settings.database_url,
    )
    rows = {row["vaultingRequestId"]: row for row in csv.DictReader(io.StringIO(out))}
    assert rows[ids["ok"]]["status"] == "SUCCESS"
    assert rows[ids["ok"]]["cardToken"].startswith("CT")
    assert rows[ids["ok"]]["maskedCardNo"] == "411111******1111"
    assert rows[ids["3ds"]]["status"] == "PROCESSING" and rows[ids["3ds"]]["cardToken"] == ""
    assert rows[ids["declined"]]["resultCode"] == "PROCESS_FAIL"
    assert rows[ids["ok"]]["notification"] == "PENDING"
    assert rows[ids["3ds"]]["notification"] == ""  # still at the challenge: none yet
    with gateway.store() as uow:
        vaulting = uow.vaultings.get_by_request_id(ams.client_id, ids["ok"])
        assert vaulting is not None
    assert rows[ids["ok"]]["vaultingId"] == vaulting.vaulting_id
    assert VISA not in out


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800)], ids=["390x844", "1280x800"])
def test_vaulted_cards_page_in_chromium(
    http: httpx.Client, console_user: str, ams: AmsClient, viewport: tuple[int, int]
) -> None:
    ids = _vault_three(ams)
    width, height = viewport
    with chromium_browser() as browser:
        context = browser.new_context(
            base_url=str(http.base_url), viewport={"width": width, "height": height}
        )
        try:
            page = context.new_page()
            sign_in_page(page)
            page.goto(f"/console/m/{ams.client_id}/payments")
            page.get_by_role("link", name="Vaulted cards").click()
            expect(page.get_by_role("heading", name="Vaulted cards")).to_be_visible()
            table = page.get_by_test_id("vaulted-cards")
            expect(table).to_contain_text(ids["ok"])
            expect(table).to_contain_text("411111******1111")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"console-vaulted-cards-{width}.png"), full_page=True)
        finally:
            context.close()
