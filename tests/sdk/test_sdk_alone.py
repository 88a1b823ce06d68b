"""`pip install openams` gives a merchant the SDK alone: a fresh virtual environment gets
the project as pip installs it (its base dependencies only, no extra), runs the first
sample of docs/sdk.md, as the document has it today, against a real gateway, and cannot
import the gateway's server, database or template packages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from openams.gateway.app import Gateway
from openams.gateway.store.tables import payments
from openams.protocol.keys import KeyPair

REPO = Path(__file__).resolve().parents[2]
SDK_DOC = REPO / "docs" / "sdk.md"
#: What the gateway needs and the SDK must not: none importable in the SDK's environment.
SERVER_PACKAGES = ("fastapi", "starlette", "sqlalchemy", "uvicorn", "jinja2", "alembic", "click")
#: The client id and Antom's production URL as the sample writes them.
SAMPLE_CLIENT_ID = "SANDBOX_5YBZ1J2ZA8AC07829"
SAMPLE_BASE_URL = "https://open-na-global.alipay.com"
INSTALL_TIMEOUT = 900  # a guard against a hung install, not a measurement


def first_sample(doc: Path = SDK_DOC) -> str:
    """The opening sample: the python blocks up to and including the first that pays
    (it creates the client, then pays and sends the buyer on)."""
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    sample: list[str] = []
    for block in blocks:
        sample.append(block)
        if ".pay(" in block:
            return "\n".join(sample)
    raise AssertionError(f"no python sample in {doc} pays")


#: Defines what the sample leaves to the merchant's web framework, and reports back.
PRELUDE = """
import json, sys
sent_to = []
def redirect_to(*args, **kwargs):
    sent_to.append([repr(a) for a in args])
"""
EPILOGUE = """
print(json.dumps({"redirects": sent_to}))
"""


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def sdk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with ``pip install <this project>``: no extra."""
    venv = tmp_path_factory.mktemp("sdk-alone") / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REPO)
    return python


def test_the_sdk_alone_has_no_server_packages(sdk_python: Path) -> None:
    probe = (
        "import importlib.util, json, openams.sdk, openams.protocol;"
        f"print(json.dumps([m for m in {SERVER_PACKAGES!r} if importlib.util.find_spec(m)]))"
    )
    found = json.loads(run(sdk_python, "-c", probe).stdout)
    assert found == []
    # The command line says what to install instead of a stack trace.
    command = subprocess.run(
        [str(sdk_python.parent / "openams"), "--help"], capture_output=True, text=True, check=False
    )
    assert command.returncode == 1
    assert 'pip install "openams[gateway]"' in command.stderr
    assert "Traceback" not in command.stderr


def test_the_first_sdk_sample_runs_with_the_sdk_alone(
    sdk_python: Path,
    gateway: Gateway,
    http: httpx.Client,
    merchant_keys: KeyPair,
    tmp_path: Path,
) -> None:
    gateway.merchants.add(SAMPLE_CLIENT_ID, merchant_keys.public_pem)
    (tmp_path / "merchant_private_key.pem").write_text(merchant_keys.private_pem)
    (tmp_path / "antom_public_key.pem").write_text(gateway.key_pair.public_pem)
    sample = first_sample()
    assert SAMPLE_BASE_URL in sample and SAMPLE_CLIENT_ID in sample
    local = sample.replace(SAMPLE_BASE_URL, str(http.base_url).rstrip("/"))
    script = tmp_path / "first_sample.py"
    script.write_text(PRELUDE + local + EPILOGUE, encoding="utf-8")

    done = run(sdk_python, script, cwd=tmp_path)

    with gateway.engine.connect() as conn:
        paid = conn.execute(
            select(payments.c.payment_id).where(payments.c.client_id == SAMPLE_CLIENT_ID)
        ).all()
    assert len(paid) == 1, done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(report["redirects"]) == 1, done.stdout  # the buyer was sent on, once
    (sent_to,) = report["redirects"][0]  # the repr of the one URL: the gateway's cashier
    assert "/alipaycn/pc/cashier?parameters=" in sent_to, sent_to
