"""Every fenced ``python`` and ``sh`` sample of README.md and docs/*.md is run by a test,
as written, or listed here with the reason it cannot be; the list is checked against the
documents, so a new sample cannot go unnoticed and a stale entry cannot stay.

A sample is known by its document and its first non-empty line. Run here: docs/sdk.md's
FastAPI notification endpoint and its pytest plugin samples. Run elsewhere: the test named
in ``SAMPLES``, which reads the sample from its document at test time.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from openams.gateway.app import Gateway, create_app
from openams.protocol.keys import KeyPair
from openams.sdk import Client
from tests.live_server import live_server

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(python|sh)\n(.*?)^```", re.DOTALL | re.MULTILINE)

RUN_BY_SUITE = "not run: runs tests of this suite, which `make test` runs anyway"
BENCHMARK = "not run: a benchmark (minutes of load, figures for docs/benchmarks.md); bench/"
SYNOPSIS = "not run: a usage synopsis with [optional] arguments, not a command"
DEVELOPER_DOCS = (
    "run: tests/gateway/integration/test_developer_docs.py::test_the_documented_commands_run"
)
SDK_ALONE = "run: tests/sdk/test_sdk_alone.py::test_the_first_sdk_sample_runs_with_the_sdk_alone"
PLUGIN_SUITE = (
    "run: tests/test_doc_samples.py::test_the_pytest_plugin_samples_pass_as_a_merchant_suite"
)
PLUGIN_SECTION = (
    "run: tests/testing_plugin/test_sdk_doc.py::test_the_plugin_samples_pass_in_a_merchant_project"
)
HOSTILE = ".venv/bin/python -m pytest tests/notify/test_hostile_endpoints.py"

#: (document, how the sample's first non-empty line starts) -> "run: <test file>::<test>"
#: or "not run: <reason>". Each entry must match exactly one sample, and each sample one entry.
SAMPLES: dict[tuple[str, str], str] = {
    ("README.md", "make run"): (
        "not run: `make run` serves until stopped; `make test` is the whole suite (.ci/run)"
    ),
    ("README.md", ".venv/bin/openams keys generate"): (
        "not run: it includes `openams serve` and `openams worker`, which serve until "
        "stopped, and `...` placeholders; tests/gateway/integration/"
        "test_cli_output_for_people.py runs every command"
    ),
    ("README.md", "from com.alipay.ams.api.default_alipay_client"): (
        "not run: the official SDK needs its own environment and TLS on port 443; "
        "tests/official drives it"
    ),
    ("README.md", "pip install openams"): (
        "not run as written: it installs from the package index; "
        "tests/sdk/test_sdk_alone.py installs this checkout the same way (no extra)"
    ),
    ("docs/benchmarks.md", "PYTHONPATH=src .venv-official/bin/python bench/bench_signing"): (
        BENCHMARK
    ),
    (
        "docs/benchmarks.md",
        ".venv/bin/python bench/bench_notifications.py --count 2000 ",
    ): BENCHMARK,
    (
        "docs/benchmarks.md",
        ".venv/bin/python bench/bench_notifications.py --count 20000",
    ): BENCHMARK,
    (
        "docs/benchmarks.md",
        ".venv/bin/python bench/bench_notifications.py --count 10000",
    ): BENCHMARK,
    (
        "docs/benchmarks.md",
        "PYTHONPATH=/tmp/before/src .venv/bin/python bench/bench_notifications.py",
    ): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/pay.py\n"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/pay.py --loop-first"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/pay.py   "): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/pay.py --database-url"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/pay.py --request-log"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/growth.py inquiry"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/growth.py expiry"): BENCHMARK,
    ("docs/developers.md", "# the latest calls"): DEVELOPER_DOCS,
    ("docs/developers.md", "openams notifications list"): DEVELOPER_DOCS,
    ("docs/developers.md", "openams sandbox advance-clock"): DEVELOPER_DOCS,
    ("docs/disputes.md", "openams disputes list --client-id SANDBOX_DEMO [--limit"): SYNOPSIS,
    ("docs/reliability.md", ".venv/bin/python -m pytest -s tests/faults"): RUN_BY_SUITE,
    ("docs/reliability.md", f"{HOSTILE}::test_a_dripping_merchant"): RUN_BY_SUITE,
    ("docs/reliability.md", f"{HOSTILE}::test_a_huge_answer"): RUN_BY_SUITE,
    ("docs/reliability.md", f'{HOSTILE} -k "non_http"'): RUN_BY_SUITE,
    ("docs/reliability.md", f'{HOSTILE} -k "dns_rebinding'): RUN_BY_SUITE,
    ("docs/sdk.md", "from pathlib import Path"): SDK_ALONE,
    ("docs/sdk.md", "from openams.sdk import ApiError"): SDK_ALONE,
    ("docs/sdk.md", "# tests/test_retries.py"): PLUGIN_SECTION,
    ("docs/sdk.md", "import uuid"): PLUGIN_SECTION,
    ("docs/sdk.md", ".venv/bin/python bench/testing_plugin.py"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/testing_plugin.py"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/bench_http_clients.py"): BENCHMARK,
    ("docs/benchmarks.md", ".venv/bin/python bench/merchant_load.py\n"): BENCHMARK,
    ("docs/sdk.md", "status = ams.wait_for_payment("): (
        "not run: it waits up to 15 minutes for a buyer; tests/sdk/test_sdk_wait.py tests "
        "wait_for_payment"
    ),
    ("docs/sdk.md", "from openams.sdk import OpenAmsError, PaymentOutcome"): (
        "run: tests/sdk/test_sdk_outcome.py::test_the_documented_inquire_sample_runs"
    ),
    ("docs/sdk.md", "from fastapi import"): (
        "run: tests/test_doc_samples.py::test_the_fastapi_notification_sample_acknowledges"
    ),
    ("docs/sdk.md", "from flask import"): (
        "not run: Flask is no dependency of openams; the FastAPI sample, the same calls, runs"
    ),
    ("docs/sdk.md", "from django.http import"): (
        "not run: Django is no dependency of openams; the FastAPI sample, the same calls, runs"
    ),
    ("docs/sdk.md", "async with AsyncClient(client_id=..."): (
        "not run: a fragment with `...` placeholders; tests/sdk/test_sdk_async.py runs "
        "AsyncClient against the gateway"
    ),
    ("docs/sdk.md", "# tests/test_checkout.py in your project"): PLUGIN_SUITE,
    ("docs/sdk.md", "@pytest.fixture"): "not run: `create_shop` is the merchant's own application",
    ("docs/sdk.md", "import pytest"): PLUGIN_SUITE,
    ("docs/settlement.md", "openams fx list [--date"): SYNOPSIS,
    ("docs/settlement.md", "openams reports settlement --date YYYY-MM-DD"): SYNOPSIS,
    ("docs/web-sdk.md", "def create_session("): (
        "run: tests/cashier/test_web_sdk_doc.py::test_the_documented_page_pays"
    ),
}


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def samples() -> dict[tuple[str, str], str]:
    """(document, first non-empty line + newline) -> the sample's text, per python/sh fence."""
    found: dict[tuple[str, str], str] = {}
    for doc in documents():
        for match in FENCE.finditer(doc.read_text(encoding="utf-8")):
            text = match.group(2)
            first = next(line for line in text.splitlines() if line.strip())
            found[(str(doc.relative_to(REPO)), first.rstrip() + "\n")] = text
    return found


def entry_of(doc: str, first_line: str) -> list[tuple[str, str]]:
    return [key for key in SAMPLES if key[0] == doc and first_line.startswith(key[1])]


def sample(doc: str, start: str) -> str:
    """The one sample of ``doc`` whose first line starts with ``start``."""
    [text] = [text for (d, line), text in samples().items() if d == doc and line.startswith(start)]
    return text


def test_every_sample_is_run_or_listed_with_its_reason() -> None:
    found = samples()
    unlisted = [key for key in found if len(entry_of(*key)) != 1]
    assert unlisted == [], "run these samples, or list each once with the reason it is not"
    matched = [entry for key in found for entry in entry_of(*key)]
    stale = [entry for entry in SAMPLES if matched.count(entry) != 1]
    assert stale == [], "entries that match no sample (or several): update them"


def test_each_test_named_to_run_a_sample_exists_and_reads_its_document() -> None:
    for (doc, _line), how in SAMPLES.items():
        assert how.startswith(("run: ", "not run")), how
        if not how.startswith("run: "):
            continue
        path, test = how.removeprefix("run: ").split("::")
        source = (REPO / path).read_text(encoding="utf-8")
        names = {
            node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)
        }
        assert test in names, f"{path} has no {test}"
        assert Path(doc).name in source, f"{path} does not read {doc}"


def test_the_fastapi_notification_sample_acknowledges(
    gateway: Gateway, merchant: str, merchant_keys: KeyPair
) -> None:
    """docs/sdk.md's FastAPI endpoint, served for real, verifies a notification the
    gateway's dispatcher sends and acknowledges it: the gateway stops retrying."""
    recorded: list[Any] = []
    namespace: dict[str, Any] = {"record": recorded.append}
    code = sample("docs/sdk.md", "from fastapi import FastAPI, Request, Response")
    attempts: list[bool] = []
    dispatcher = gateway.dispatcher(
        on_attempt=lambda _n, attempt: attempts.append(attempt.acknowledged)
    )
    try:
        with live_server(create_app(gateway=gateway)) as gateway_url:
            namespace["ams"] = Client(
                client_id=merchant,
                private_key=merchant_keys.private_pem,
                gateway_public_key=gateway.key_pair.public_pem,
                base_url=gateway_url,
            )
            exec(compile(code, "docs/sdk.md (FastAPI)", "exec"), namespace)
            app: ASGIApp = namespace["app"]
            with live_server(app) as shop_url, namespace["ams"] as ams:
                request_id = f"PAY_DOC_{os.getpid()}"
                ams.pay(pay_request(request_id, f"{shop_url}/ams/notify"))
                ams.request(
                    "/ams/api/v1/testHelpers/completePayment",
                    {"paymentRequestId": request_id, "outcome": "SUCCESS"},
                )
                assert dispatcher.drain() == 1
    finally:
        dispatcher.close()
    assert attempts == [True]
    [notification] = recorded
    assert notification.notify_type == "PAYMENT_RESULT"


def test_the_pytest_plugin_samples_pass_as_a_merchant_suite(tmp_path: Path) -> None:
    """docs/sdk.md's merchant test, with its conftest sample, run by pytest in a merchant's
    project folder through the installed plugin."""
    (tmp_path / "test_checkout.py").write_text(
        sample("docs/sdk.md", "# tests/test_checkout.py in your project"), encoding="utf-8"
    )
    (tmp_path / "conftest.py").write_text(sample("docs/sdk.md", "import pytest"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAMS_"))},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout, done.stdout


def pay_request(request_id: str, notify_url: str) -> dict[str, Any]:
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": request_id,
        "order": {
            "referenceOrderId": request_id,
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "HKD", "value": "4500"},
        },
        "paymentAmount": {"currency": "HKD", "value": "4500"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
        "paymentRedirectUrl": "https://shop.example/return",
        "paymentNotifyUrl": notify_url,
        "env": {"terminalType": "WEB"},
    }
