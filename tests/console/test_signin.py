"""Sign-in: the first-start admin, sessions, CSRF, rate limit, sign-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

import httpx

from openams.gateway.app import Gateway
from openams.gateway.services.console import check_password, hash_password
from openams.gateway.web.console.security import LoginLimiter, client_network
from tests.console.conftest import PASSWORD, csrf_of, sign_in


def test_password_hash_is_salted_scrypt() -> None:
    one, two = hash_password("secret-pw"), hash_password("secret-pw")
    assert one != two and one.startswith("scrypt$")
    assert check_password("secret-pw", one)
    assert not check_password("other-pw", one)
    assert not check_password("secret-pw", "garbage")


def test_admin_is_created_once_even_by_racing_starts(gateway: Gateway) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        passwords = [p for p in pool.map(lambda _: gateway.console.ensure_admin(), range(4)) if p]
    assert len(passwords) == 1
    assert gateway.console.verify("admin", passwords[0])
    assert gateway.console.ensure_admin() is None


def test_no_admin_is_made_when_another_user_exists(gateway: Gateway) -> None:
    gateway.console.set_password("ops", "an-ops-password")
    assert gateway.console.ensure_admin() is None
    assert not gateway.console.verify("admin", "")


def test_the_login_page_creates_no_user(http: httpx.Client, gateway: Gateway) -> None:
    assert http.get("/console/login").status_code == 200
    assert gateway.console.ensure_admin() is not None  # nobody made one before


def test_pages_need_a_session(http: httpx.Client, console_user: str) -> None:
    for path in ("/console", "/console/m/X/payments", "/console/m/X/keys", "/console/m/X/settings"):
        reply = http.get(path)
        assert reply.status_code == 303
        assert reply.headers["location"] == "/console/login"


def test_sign_in_sets_a_signed_httponly_lax_cookie(http: httpx.Client, console_user: str) -> None:
    reply = sign_in(http)
    assert reply.status_code == 303
    cookie = next(
        v for k, v in reply.headers.multi_items() if k == "set-cookie" and "openams_console=" in v
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/console" in lowered
    assert http.get("/console").status_code == 200
    # a forged or altered cookie is no session
    value = http.cookies["openams_console"]
    http.cookies.set("openams_console", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert http.get("/console").status_code == 303


def test_wrong_password_is_refused(http: httpx.Client, console_user: str) -> None:
    reply = sign_in(http, password="wrong password")
    assert reply.status_code == 401
    assert "Wrong username or password" in reply.text
    assert "openams_console" not in http.cookies


def test_login_without_csrf_token_is_refused(http: httpx.Client, console_user: str) -> None:
    http.get("/console/login")
    reply = http.post("/console/login", data={"username": "admin", "password": PASSWORD})
    assert reply.status_code == 403
    reply = http.post(
        "/console/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "x"}
    )
    assert reply.status_code == 403


def _from(http: httpx.Client, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (another loopback address)."""
    return httpx.Client(
        base_url=str(http.base_url),
        transport=httpx.HTTPTransport(local_address=address),
    )


def test_login_is_rate_limited_per_user_and_address(http: httpx.Client, console_user: str) -> None:
    for _ in range(5):
        assert sign_in(http, password="nope nope").status_code == 401
    # even the right password waits now, from this address
    assert sign_in(http).status_code == 429


def test_login_is_rate_limited_per_address(http: httpx.Client, console_user: str) -> None:
    for n in range(20):
        assert sign_in(http, username=f"user{n}", password="nope nope").status_code == 401
    assert sign_in(http, username="someone-else", password="x").status_code == 429
    assert sign_in(http).status_code == 429


def test_an_attacker_cannot_lock_the_admin_out(http: httpx.Client, console_user: str) -> None:
    """Issue 18 item 8: failures for ``admin`` from X throttle X only; the admin signs in
    from Y with the right password while X keeps failing, and X stays throttled."""
    with _from(http, "127.0.0.2") as attacker, _from(http, "127.0.0.3") as admin:
        codes = [sign_in(attacker, password=f"guess {n}").status_code for n in range(30)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        reply = sign_in(admin)
        assert reply.status_code == 303, reply.text
        assert admin.get("/console").status_code == 200
        assert sign_in(attacker, password="guess again").status_code == 429
        assert sign_in(attacker).status_code == 429  # X stays throttled, right password too


def test_a_cookie_without_the_session_epoch_is_refused(
    http: httpx.Client, console_user: str, gateway: Gateway
) -> None:
    """A cookie signed before migration 0010 (no ``e``) or for an epoch that never was
    is no session, however fresh its signature."""
    signer = gateway.cashier.tickets
    fresh = int(time.time()) + 3600
    for data in ({"u": "admin", "exp": fresh}, {"u": "admin", "e": 99, "exp": fresh}):
        http.cookies.set("openams_console", signer.sign("console-session", data), path="/console")
        assert http.get("/console").status_code == 303
    current = gateway.console.session_epoch("admin")
    good = {"u": "admin", "e": current, "exp": fresh}
    http.cookies.set("openams_console", signer.sign("console-session", good), path="/console")
    assert http.get("/console").status_code == 200


def test_sign_out_needs_csrf_and_ends_the_session(console: httpx.Client) -> None:
    assert console.post("/console/logout", data={}).status_code == 403
    token = csrf_of(console.get("/console").text)
    reply = console.post("/console/logout", data={"csrf_token": token})
    assert reply.status_code == 303
    assert console.get("/console").status_code == 303


def test_set_password_cli(gateway: Gateway, settings: object) -> None:
    from click.testing import CliRunner

    from openams.cli import main

    url = gateway.settings.database_url
    result = CliRunner().invoke(
        main,
        ["console", "set-password", "--database-url", url, "--username", "ops"],
        input="a-new-password\na-new-password\n",
    )
    assert result.exit_code == 0, result.output
    assert gateway.console.verify("ops", "a-new-password")


def test_the_limiter_counts_pairs_and_addresses_in_a_sliding_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(per_user_and_address=2, per_address=3, window=10, now=lambda: now[0])
    limiter.fail("X", "admin")
    limiter.fail("X", "admin")
    assert limiter.blocked("X", "admin")
    assert not limiter.blocked("Y", "admin") and not limiter.blocked("X", "ops")
    limiter.fail("X", "ops")
    assert limiter.blocked("X", "ops") and limiter.blocked("X", "anyone")  # the address
    assert not limiter.blocked("Y", "admin")
    now[0] = 10.0  # the window has passed: a short wait, not a lock
    assert not limiter.blocked("X", "admin")
    limiter.fail("Y", "admin")
    limiter.succeeded("Y", "admin")
    limiter.fail("Y", "admin")
    assert not limiter.blocked("Y", "admin")


def test_an_ipv6_client_is_counted_by_its_64_prefix() -> None:
    assert client_network("2001:db8:1:2::1") == client_network("2001:db8:1:2:ffff::9")
    assert client_network("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_network("192.0.2.7") == "192.0.2.7" and client_network("?") == "?"
    limiter = LoginLimiter(per_user_and_address=2, per_address=9, window=10, now=lambda: 0.0)
    limiter.fail("2001:db8:1:2::1", "admin")
    limiter.fail("2001:db8:1:2::2", "admin")
    assert limiter.blocked("2001:db8:1:2::3", "admin")
    assert not limiter.blocked("2001:db8:1:3::1", "admin")


def test_the_limits_are_settings(gateway: Gateway) -> None:
    from openams.gateway.app import console_services

    tuned = gateway.settings.model_copy(
        update={
            "console_login_failures_per_user_and_address": 3,
            "console_login_failures_per_address": 7,
            "console_login_window_seconds": 30.0,
        }
    )
    limiter = console_services(replace(gateway, settings=tuned)).login_limiter
    assert (limiter.per_user_and_address, limiter.per_address, limiter.window) == (3, 7, 30.0)


@contextmanager
def _copy_of(console: httpx.Client) -> Iterator[httpx.Client]:
    """Another browser holding a copy of ``console``'s session cookie."""
    with httpx.Client(base_url=str(console.base_url)) as copy:
        copy.cookies.set("openams_console", console.cookies["openams_console"], path="/console")
        assert copy.get("/console").status_code == 200
        yield copy


def test_a_session_copied_before_sign_out_is_refused_after_it(console: httpx.Client) -> None:
    """Issue 18 item 6: sign-out ends the session on the server, not only in the browser
    that signed out; it ends every session of that user."""
    with _copy_of(console) as copy, httpx.Client(base_url=str(console.base_url)) as other:
        assert sign_in(other).status_code == 303
        token = csrf_of(console.get("/console").text)
        assert console.post("/console/logout", data={"csrf_token": token}).status_code == 303
        for client in (copy, other):
            reply = client.get("/console")
            assert reply.status_code == 303
            assert reply.headers["location"] == "/console/login"
        assert sign_in(console).status_code == 303  # signing in again works
        assert console.get("/console").status_code == 200


def test_a_session_copied_before_a_password_change_is_refused_after_it(
    console: httpx.Client, gateway: Gateway
) -> None:
    with _copy_of(console) as copy:
        gateway.console.set_password("admin", "a brand new password")
        for client in (copy, console):
            reply = client.get("/console/m/X/payments")
            assert reply.status_code == 303
            assert reply.headers["location"] == "/console/login"
        assert sign_in(console, password="a brand new password").status_code == 303
        assert console.get("/console").status_code == 200
        assert copy.get("/console").status_code == 303


def test_the_csrf_cookie_is_httponly_and_lax(http: httpx.Client) -> None:
    reply = http.get("/console/login")
    cookie = next(
        v for k, v in reply.headers.multi_items() if k == "set-cookie" and "openams_csrf=" in v
    ).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
