"""Console fixtures: a signed-in browser-like client on the live gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from openams.gateway.app import Gateway
from tests.conftest import LOADED_MACHINE_TIMEOUT, UNUSED_TLS

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client: httpx.Client, username: str = "admin", password: str = PASSWORD
) -> httpx.Response:
    token = csrf_of(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
    )


def sign_in_page(page: Page, username: str = "admin", password: str = PASSWORD) -> Page:
    """Sign ``page`` in through the login form (as :func:`sign_in` does over HTTP), on
    the Merchants page once it returns."""
    if not page.url.endswith("/console/login"):
        page.goto("/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Merchants")).to_be_visible()
    return page


@pytest.fixture
def console_user(gateway: Gateway) -> str:
    gateway.console.set_password("admin", PASSWORD)
    return "admin"


@pytest.fixture
def console(http: httpx.Client, console_user: str) -> Iterator[httpx.Client]:
    """A second client on the same server (its own cookies), signed in as admin."""
    with httpx.Client(
        base_url=str(http.base_url), verify=UNUSED_TLS, timeout=LOADED_MACHINE_TIMEOUT
    ) as client:
        reply = sign_in(client)
        assert reply.status_code == 303, reply.text
        yield client
