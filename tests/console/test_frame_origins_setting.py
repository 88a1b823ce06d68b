"""The console's Settings page registers the merchant's frame origins (issue 17)."""

from __future__ import annotations

import httpx

from openams.gateway.app import Gateway
from tests.console.test_pages import BASE, notice, post

PAGE = f"{BASE}/settings"
ACTION = f"{BASE}/settings/frame-origins"


def test_settings_page_sets_frame_origins(
    console: httpx.Client, gateway: Gateway, merchant: str
) -> None:
    lines = "https://Shop.Example\r\n\r\nhttp://127.0.0.1:8081/\r\n"
    text = notice(console, post(console, PAGE, ACTION, frame_origins=lines))
    assert "frame origins saved: https://shop.example http://127.0.0.1:8081" in text
    assert gateway.frame_origins.origins(merchant) == (
        "https://shop.example",
        "http://127.0.0.1:8081",
    )
    # Shown back on the page, one per line, escaped.
    assert "https://shop.example\nhttp://127.0.0.1:8081</textarea>" in console.get(PAGE).text
    bad = notice(console, post(console, PAGE, ACTION, frame_origins="https://a.example/<path>"))
    assert "PARAM_ILLEGAL" in bad and "&lt;path&gt;" in bad and "<path>" not in bad
    assert gateway.frame_origins.origins(merchant) == (
        "https://shop.example",
        "http://127.0.0.1:8081",
    )  # a refused list changes nothing
    cleared = notice(console, post(console, PAGE, ACTION, frame_origins=""))
    assert "none (no site may frame)" in cleared
    assert gateway.frame_origins.origins(merchant) == ()
    # Without the form's CSRF token nothing changes.
    refused = console.post(ACTION, data={"frame_origins": "https://evil.example"})
    assert refused.status_code in (303, 403)
    assert gateway.frame_origins.origins(merchant) == ()
