"""docs/sdk.md's pytest plugin samples, run as written in a merchant's project (pytester)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.testing_plugin.test_merchant_suite import PLUGIN, run

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
SECTION_START = "### The pytest plugin"
SECTION_END = "### Without a gateway"


def plugin_samples() -> list[str]:
    text = DOC.read_text()
    section = text[text.index(SECTION_START) : text.index(SECTION_END)]
    return [str(found) for found in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)]


def sample(starting: str) -> str:
    [found] = [code for code in plugin_samples() if code.startswith(starting)]
    return found


#: The doc's ``shop`` fixture calls the merchant's own factory; this one keeps what it got.
CREATE_SHOP = """

def create_shop(**configuration):
    return configuration

"""

USES_THE_OVERRIDES = """
import uuid

from openams.sdk import Client


def test_the_settings_and_merchant_overrides_apply(openams_gateway, openams_merchant):
    assert openams_gateway.settings.request_time_tolerance_seconds == 60
    assert openams_merchant.client_id.startswith("SANDBOX_MY_SHOP_")


def test_the_shop_fixture_configures_a_client(shop):
    with Client(
        client_id=shop["ams_client_id"],
        private_key=shop["ams_private_key"],
        gateway_public_key=shop["ams_gateway_public_key"],
        base_url=shop["ams_base_url"],
    ) as ams:
        answer = ams.consult({
            "productCode": "CASHIER_PAYMENT",
            "paymentAmount": {"currency": "HKD", "value": "100"},
            "env": {"terminalType": "WEB"},
        })
    assert answer.payment_options
    assert shop["ams_notify_url"].startswith("http://127.0.0.1:")
"""

OWN_GATEWAY_TEST = """
def test_this_folder_has_a_gateway_per_test(
    openams_gateway, openams_session_gateway, openams_client
):
    assert openams_gateway.url != openams_session_gateway.url
    assert openams_client.consult({
        "productCode": "CASHIER_PAYMENT",
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "env": {"terminalType": "WEB"},
    }).payment_options
"""


def test_every_plugin_sample_is_run_here() -> None:
    starts = sorted(code.split("\n", 1)[0] for code in plugin_samples())
    assert starts == [
        "# tests/test_checkout.py in your project",
        "# tests/test_retries.py: a lost first notification arrives on retry",
        "@pytest.fixture",
        "import pytest",
        "import uuid",
    ]


def test_the_plugin_samples_pass_in_a_merchant_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(sample("import uuid") + CREATE_SHOP + sample("@pytest.fixture"))
    pytester.makepyfile(
        test_checkout=sample("# tests/test_checkout.py"),
        test_retries=sample("# tests/test_retries.py"),
        test_overrides=USES_THE_OVERRIDES,
    )
    own = pytester.mkpydir("own_gateway")
    (own / "conftest.py").write_text(sample("import pytest"))
    (own / "test_own_gateway.py").write_text(OWN_GATEWAY_TEST)
    run(pytester, "-p", PLUGIN).assert_outcomes(passed=5)
