"""docs/sdk.md's first samples, run as written against a real sandbox gateway: create the
client (keys read from files, as the sample does), then pay with ALIPAY_CN and send the
buyer where ``buyer_redirect`` says, which opens the gateway's AlipayCN cashier."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from openams.testing import SandboxGateway, SandboxKeys

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
DOC_BASE_URL = "https://open-na-global.alipay.com"
DOC_CLIENT_ID = "SANDBOX_5YBZ1J2ZA8AC07829"


def python_samples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_create_a_client_then_pay_and_send_the_buyer_on(
    openams_gateway: SandboxGateway,
    openams_keys: SandboxKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create, pay = python_samples()[:2]
    assert DOC_BASE_URL in create and "buyer_redirect" in pay
    openams_gateway.add_merchant(openams_keys.merchant, client_id=DOC_CLIENT_ID)
    (tmp_path / "merchant_private_key.pem").write_text(openams_keys.merchant.private_pem)
    (tmp_path / "antom_public_key.pem").write_text(openams_gateway.public_key_pem)
    monkeypatch.chdir(tmp_path)
    went: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "redirect_to": lambda url: went.setdefault("redirect_to", url),
        "send_html": lambda page: went.setdefault("send_html", page),
        "show_result": lambda code: went.setdefault("show_result", code),
    }
    exec(create.replace(DOC_BASE_URL, openams_gateway.url), namespace)
    try:
        exec(pay, namespace)
    finally:
        namespace["ams"].close()
    assert list(went) == ["redirect_to"], went
    url = went["redirect_to"]
    assert url.startswith(f"{openams_gateway.url}/alipaycn/pc/cashier?parameters=")
    cashier = httpx.get(url, trust_env=False)
    assert cashier.status_code == 200 and "USD 10.00" in cashier.text
