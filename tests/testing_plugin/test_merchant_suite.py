"""The plugin as a merchant's test suite meets it: a separate pytest run (``pytester``).

Each test writes a small merchant project (test files, maybe a conftest) into a temporary
folder and runs pytest on it in-process, with warnings as errors.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = "openams.testing"

#: A merchant's checkout test: pay, let the "buyer" pay, receive the verified notification.
MERCHANT_TESTS = """
import asyncio
import uuid

import pytest

from openams.sdk import verify_notification
from openams.testing import complete_payment, complete_payment_async


def order(**extra):
    body = {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": "PAY_" + uuid.uuid4().hex[:20],
        "order": {
            "referenceOrderId": "ORDER_1",
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "HKD", "value": "450"},
        },
        "paymentAmount": {"currency": "HKD", "value": "450"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://shop.example/return",
        "env": {"terminalType": "WEB"},
    }
    body.update(extra)
    return body


def test_checkout_is_paid_and_notified(openams_client, openams_notifications, openams_merchant):
    body = order()
    payment = openams_client.pay(body)
    assert payment.result.result_code == "PAYMENT_IN_PROCESS"
    complete_payment(openams_client, body["paymentRequestId"])

    [notification] = openams_notifications.wait_for(1, timeout=10)
    assert notification.notify_type == "PAYMENT_RESULT"
    assert notification.result.result_status == "S"
    assert notification.payment_id == payment.payment_id

    [received] = openams_notifications.received
    assert verify_notification(
        "POST", received.path, received.headers, received.body,
        gateway_public_key=openams_merchant.gateway_public_key_pem,
        client_id=openams_merchant.client_id,
    ) == notification
    assert not openams_notifications.rejected


def test_async_checkout(openams_async_client, openams_notifications):
    body = order(paymentNotifyUrl=openams_notifications.url)

    async def checkout():
        await openams_async_client.pay(body)
        await complete_payment_async(
            openams_async_client, body["paymentRequestId"], outcome="FAIL"
        )

    asyncio.run(checkout())
    [notification] = openams_notifications.wait_for(notify_type="PAYMENT_RESULT")
    assert notification.result.result_status == "F"
"""


@pytest.fixture
def merchant_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_checkout=MERCHANT_TESTS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # In-process runs share this process's modules: openams.testing is already imported,
    # so pytest cannot assertion-rewrite it (a warning a merchant's own run never sees).
    return pytester.runpytest(
        "-W",
        "error",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        "-p",
        "no:cacheprovider",
        *args,
    )


def test_a_merchant_suite_with_the_plugin_named_on_the_command_line(
    merchant_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-p openams.testing``, with entry points off: only what the merchant asked for."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = run(merchant_project, "-p", PLUGIN)
    result.assert_outcomes(passed=2)


def test_a_failing_wait_tells_the_merchant_where_the_notification_went(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        test_notify_elsewhere=MERCHANT_TESTS
        + textwrap.dedent(
            """
            def test_notify_url_of_production(openams_client, openams_notifications):
                body = order(paymentNotifyUrl="https://shop.invalid/ams/notify")
                openams_client.pay(body)
                complete_payment(openams_client, body["paymentRequestId"])
                openams_notifications.wait_for(1, timeout=0.2)
            """
        )
    )
    result = run(pytester, "-p", PLUGIN, "-k", "production")
    result.assert_outcomes(failed=1, deselected=2)
    result.stdout.fnmatch_lines(
        [
            "*NotificationWaitTimeout: expected 1 notification(s) at http://127.0.0.1:*",
            "*delivery: PAYMENT_RESULT to https://shop.invalid/ams/notify (attempt 1, blocked)*",
        ]
    )


def test_fixtures_can_be_overridden_by_the_merchant(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(
        """
        import uuid

        import pytest

        @pytest.fixture
        def openams_merchant(openams_gateway, openams_keys):
            client_id = "SANDBOX_MY_SHOP_" + uuid.uuid4().hex[:8]
            return openams_gateway.add_merchant(openams_keys.merchant, client_id=client_id)
        """
    )
    pytester.makepyfile(
        test_override="""
        def test_my_client_id(openams_client):
            assert openams_client.client_id.startswith("SANDBOX_MY_SHOP_")
            answer = openams_client.consult({
                "productCode": "CASHIER_PAYMENT",
                "paymentAmount": {"currency": "HKD", "value": "100"},
                "env": {"terminalType": "WEB"},
            })
            assert answer.payment_options
        """
    )
    run(pytester, "-p", PLUGIN).assert_outcomes(passed=1)


def _installed_entry_point() -> importlib.metadata.EntryPoint | None:
    for entry_point in importlib.metadata.entry_points(group="pytest11"):
        if entry_point.value == PLUGIN:
            return entry_point
    return None


@pytest.fixture
def entry_point(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``pytest11`` entry point of the installed openams; until openams is reinstalled
    with it, a stand-in distribution on ``sys.path`` declares the same entry point."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    installed = _installed_entry_point()
    if installed is not None:
        assert installed.name == PLUGIN, (
            f"name the pytest11 entry point {PLUGIN!r} (it is {installed.name!r}): under any "
            f"other name, `-p {PLUGIN}` or `pytest_plugins = [{PLUGIN!r}]` registers the "
            "module a second time and pytest stops with 'Plugin already registered'"
        )
        return
    site = pytester.mkdir("site-packages")
    info = site / "openams_entry_point_stand_in-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: openams-entry-point-stand-in\nVersion: 0\n"
    )
    (info / "entry_points.txt").write_text(f"[pytest11]\n{PLUGIN} = {PLUGIN}\n")
    pytester.syspathinsert(site)


@pytest.mark.usefixtures("entry_point")
def test_installed_openams_provides_the_fixtures_without_configuration(
    merchant_project: pytest.Pytester,
) -> None:
    run(merchant_project).assert_outcomes(passed=2)


@pytest.mark.usefixtures("entry_point")
def test_naming_the_plugin_as_well_does_not_register_it_twice(
    merchant_project: pytest.Pytester,
) -> None:
    merchant_project.makeconftest(f"pytest_plugins = [{PLUGIN!r}]")
    run(merchant_project, "-p", PLUGIN).assert_outcomes(passed=2)


@pytest.mark.usefixtures("entry_point")
def test_the_fixtures_are_listed_with_their_documentation(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--fixtures")
    result.stdout.fnmatch_lines_random(
        [
            "openams_keys *session scope*",
            "openams_settings *session scope*",
            "openams_session_gateway *session scope*",
            "openams_gateway -- *",
            "openams_merchant -- *",
            "openams_client -- *",
            "openams_async_client -- *",
            "openams_notifications -- *",
        ]
    )


def test_loading_the_plugin_starts_and_imports_nothing_heavy(tmp_path: Path) -> None:
    """The plugin is loaded in every pytest run: importing it must stay cheap."""
    script = textwrap.dedent(
        f"""
        import sys, threading
        import {PLUGIN}
        heavy = ("openams.gateway", "openams.sdk", "uvicorn", "httpx", "sqlalchemy", "fastapi")
        loaded = sorted(m for m in sys.modules if m.startswith(heavy))
        assert not loaded, loaded
        assert threading.active_count() == 1
        assert {PLUGIN}.SandboxGateway.__module__ == "openams.testing._sandbox"
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path, timeout=60)
