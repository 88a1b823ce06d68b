"""Every console route refuses a visitor with no session and one whose session expired.

The table is the app's own route list under ``/console`` (walked, not written out), so a
page or action added later is covered without touching this file; only the routes that
are public on purpose are listed, in ``PUBLIC``. Session age runs on the gateway's clock,
here a clock that moves only when the test moves it, so expiry is checked to the second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from openams.gateway.app import Gateway, create_app
from openams.gateway.web.console.routes import PREFIX
from openams.gateway.web.console.security import SESSION_SECONDS
from tests.ams_client import AmsClient
from tests.conftest import UNUSED_TLS
from tests.console.conftest import csrf_of, sign_in
from tests.gateway.integration.payloads import pay_body
from tests.live_server import live_server
from tests.virtual_clock import FrozenClock

#: (method, path template) of the console routes anyone may reach: signing in.
PUBLIC = {("GET", f"{PREFIX}/login"), ("POST", f"{PREFIX}/login")}
LOGIN = f"{PREFIX}/login"
_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    template: str

    def url(self, values: dict[str, str]) -> str:
        return _PARAM.sub(lambda m: values.get(m.group(1), "x"), self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[ConsoleRoute]:
    """Every (method, path) the routes serve; FastAPI's included routers are opened up
    (``iter_route_contexts``) and so are Starlette mounts."""
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        path = prefix + (context.path or "")
        if isinstance(route, Mount):
            if route.routes:
                yield from _walk(route.routes, path)
            else:  # a mounted app (static files...): what it serves is reached by GET
                yield ConsoleRoute("GET", f"{path}/{{path}}")
            continue
        for method in sorted(set(context.methods or ()) - {"HEAD"}):
            yield ConsoleRoute(method, path)


def console_routes(app: Any) -> list[ConsoleRoute]:
    """The app's routes under the console prefix, less the public ones."""
    return [
        route
        for route in _walk(app.routes)
        if (route.template == PREFIX or route.template.startswith(PREFIX + "/"))
        and (route.method, route.template) not in PUBLIC
    ]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def app(gateway: Gateway) -> Any:
    return create_app(gateway=gateway)


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def values(gateway: Gateway, merchant: str, merchant_keys: Any, base_url: str) -> dict[str, str]:
    """Real ids for the path parameters: a refusal must not be a 404 for a made-up id."""
    with httpx.Client(base_url=base_url, verify=UNUSED_TLS) as http:
        ams = AmsClient(http, merchant, merchant_keys.private_key, gateway.key_pair.public_key)
        reply = ams.call("payments/pay", pay_body())
    assert reply.code == "PAYMENT_IN_PROCESS", reply.result
    return {
        "client_id": merchant,
        "payment_id": reply.body["paymentId"],
        "name": "transactions",
        "version": "1",
    }


def _state(gateway: Gateway, values: dict[str, str]) -> tuple[Any, ...]:
    client_id = values["client_id"]
    return (
        gateway.console.detail(client_id, values["payment_id"]),
        gateway.console.keys(client_id),
        gateway.merchants.get(client_id),
    )


def _form(client: httpx.Client) -> dict[str, str]:
    """What a form post carries: a CSRF token of the sign-in page (the only one a visitor
    without a session can get) and the fields the console's actions read."""
    token = csrf_of(client.get(LOGIN).text)
    return {
        "csrf_token": token,
        "amount": "100",
        "outcome": "SUCCESS",
        "seconds": "3600",
        "key_version": "1",
        "confirm": "1",
        "notify_url": "http://attacker.example/notify",
    }


def _refusals(
    client: httpx.Client, routes: list[ConsoleRoute], values: dict[str, str], secret: str
) -> list[str]:
    """Each route's answer that is not the redirect to the sign-in page."""
    assert len(routes) > 10, routes  # the walk found the console
    form = _form(client)
    wrong = []
    for route in routes:
        reply = client.request(
            route.method, route.url(values), data=form if route.method == "POST" else None
        )
        if (reply.status_code, reply.headers.get("location")) != (303, LOGIN):
            wrong.append(f"{route}: {reply.status_code} {reply.headers.get('location')}")
        elif secret in reply.text:
            wrong.append(f"{route}: the redirect shows {secret}")
    return wrong


def test_the_table_is_the_apps_route_list(app: Any) -> None:
    """The walk finds the console's pages and actions (it is not vacuous), and every
    route the app serves under the prefix is in it or public."""
    found = {str(route) for route in console_routes(app)}
    for expected in (
        f"GET {PREFIX}",
        f"GET {PREFIX}/m/{{client_id}}/payments/{{payment_id}}",
        f"POST {PREFIX}/m/{{client_id}}/payments/{{payment_id}}/refund",
        f"POST {PREFIX}/logout",
        f"GET {PREFIX}/m/{{client_id}}/reports/{{name}}.csv",
        f"POST {PREFIX}/m/{{client_id}}/settings",
    ):
        assert expected in found, (expected, sorted(found))
    assert not any("/login" in route for route in found)


def test_every_console_route_refuses_a_visitor_without_a_session(
    app: Any, base_url: str, gateway: Gateway, values: dict[str, str]
) -> None:
    before = _state(gateway, values)
    with httpx.Client(base_url=base_url, verify=UNUSED_TLS) as visitor:
        wrong = _refusals(visitor, console_routes(app), values, values["payment_id"])
    assert not wrong, "\n".join(wrong)
    assert _state(gateway, values) == before  # no action took effect


def test_a_session_lasts_its_age_to_the_second_and_no_longer(
    app: Any,
    base_url: str,
    gateway: Gateway,
    console_user: str,
    values: dict[str, str],
    clock: FrozenClock,
) -> None:
    routes = console_routes(app)
    gets = [route for route in routes if route.method == "GET"]
    with httpx.Client(base_url=base_url, verify=UNUSED_TLS) as browser:
        assert sign_in(browser).status_code == 303
        # a second before it expires the session still opens every page ...
        clock.advance(SESSION_SECONDS - 1)
        for route in gets:
            reply = browser.get(route.url(values))
            assert reply.headers.get("location") != LOGIN, str(route)
            assert reply.status_code < 500, (str(route), reply.status_code)
        detail = browser.get(f"{PREFIX}/m/{values['client_id']}/payments/{values['payment_id']}")
        assert values["payment_id"] in detail.text
        # ... at its expiry time it is over, for pages and actions alike
        clock.advance(1)
        before = _state(gateway, values)
        wrong = _refusals(browser, routes, values, values["payment_id"])
        assert not wrong, "\n".join(wrong)
        assert _state(gateway, values) == before
        # and a second later still (the cookie's own age is not what ends it)
        clock.advance(1)
        assert browser.get(PREFIX).headers.get("location") == LOGIN


def test_a_forged_session_cookie_is_no_session(
    app: Any, base_url: str, gateway: Gateway, console_user: str, values: dict[str, str]
) -> None:
    """A cookie whose signature does not match (here: made with another key) is refused
    by every route, not only the home page."""
    from openams.gateway.services.tickets import TicketSigner

    epoch = gateway.console.session_epoch(console_user)
    forged = TicketSigner(b"not the gateway's secret").sign(
        "console-session", {"u": console_user, "e": epoch, "exp": gateway.clock() // 1000 + 3600}
    )
    with httpx.Client(base_url=base_url, verify=UNUSED_TLS) as visitor:
        visitor.cookies.set("openams_console", forged, path=PREFIX)
        wrong = _refusals(visitor, console_routes(app), values, values["payment_id"])
    assert not wrong, "\n".join(wrong)
