"""Fixtures that run the official SDK in its own virtual environment.

``global-open-sdk-python==1.7.1`` pins ``cryptography==44.0.3``, which must not
meet the project's own environment, so the SDK lives in ``<repo>/.venv-official``
(created on first use, guarded by a marker file and an ``fcntl`` lock) and is
driven through ``tests/official/driver.py`` in a subprocess: one JSON document of
commands in, one of results out.

``official_gateway`` starts a real ``openams serve`` over TLS on 127.0.0.1:443,
the only port the SDK ever connects to, with a throwaway CA that the driver
trusts through ``SSL_CERT_FILE``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from openams.protocol.keys import load_private_key, load_public_key, pem_body, public_key_pem
from tests.conftest import fresh_database

REPO_ROOT = Path(__file__).resolve().parents[2]
OFFICIAL_VENV = REPO_ROOT / ".venv-official"
OFFICIAL_PYTHON = OFFICIAL_VENV / "bin" / "python"
OFFICIAL_SDK = "global-open-sdk-python==1.7.1"
DRIVER = Path(__file__).resolve().parent / "driver.py"

_MARKER = OFFICIAL_VENV / ".openams-official-sdk"
_LOCK = OFFICIAL_VENV / ".openams-lock"
_INSTALL_TIMEOUT = 600
_DRIVER_TIMEOUT = 120

GATEWAY_HOST = "127.0.0.1"
GATEWAY_PORT = 443  # the SDK ignores the port in its gateway URL
GATEWAY_URL = f"https://{GATEWAY_HOST}"
PUBLIC_URL = "https://localhost"
_SERVER_START_TIMEOUT = 20.0
_PORT_LOCK = Path(tempfile.gettempdir()) / "openams-official-gateway-443.lock"


# ------------------------------------------------------------------ the SDK's own venv


def _run(cmd: Sequence[str | os.PathLike[str]], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, check=False
    )


def ensure_official_venv() -> Path:
    """Create ``.venv-official`` with the pinned SDK unless the marker says it is there."""
    OFFICIAL_VENV.mkdir(exist_ok=True)
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if (
                OFFICIAL_PYTHON.exists()
                and _MARKER.exists()
                and _MARKER.read_text().strip() == OFFICIAL_SDK
            ):
                return OFFICIAL_PYTHON
            _MARKER.unlink(missing_ok=True)
            steps = (
                [sys.executable, "-m", "venv", OFFICIAL_VENV],
                [
                    OFFICIAL_PYTHON,
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--quiet",
                    OFFICIAL_SDK,
                ],
                [OFFICIAL_PYTHON, "-c", "import com.alipay.ams.api.default_alipay_client"],
            )
            for step in steps:
                done = _run(step, _INSTALL_TIMEOUT)
                if done.returncode != 0:
                    pytest.fail(
                        f"setting up {OFFICIAL_VENV} failed at {' '.join(map(str, step))}:\n"
                        f"{done.stdout}\n{done.stderr}",
                        pytrace=False,
                    )
            _MARKER.write_text(OFFICIAL_SDK + "\n")
            return OFFICIAL_PYTHON
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class OfficialSDK:
    """Runs batches of driver commands inside ``.venv-official``."""

    python: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self, commands: Sequence[Mapping[str, Any]], env: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        child_env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
        }
        child_env.update(self.env)
        child_env.update(env or {})
        child_env["PYTHONIOENCODING"] = "utf-8"
        done = subprocess.run(
            [str(self.python), str(DRIVER)],
            input=json.dumps({"commands": list(commands)}),
            capture_output=True,
            text=True,
            timeout=_DRIVER_TIMEOUT,
            env=child_env,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"driver exited {done.returncode}:\n{done.stderr}\n{done.stdout}", pytrace=False
            )
        results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
        assert len(results) == len(commands)
        return results

    def one(self, command: Mapping[str, Any]) -> dict[str, Any]:
        return self.run([command])[0]


@pytest.fixture(scope="session")
def official_sdk() -> OfficialSDK:
    return OfficialSDK(ensure_official_venv())


# ------------------------------------------------------------------ TLS material


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls_files(directory: Path) -> TLSFiles:
    """A throwaway CA and a server certificate for ``localhost`` and ``127.0.0.1``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("openams official-SDK test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
    )
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    files.server_key.chmod(0o600)
    return files


# ------------------------------------------------------------------ the gateway


def openams_cli() -> Path:
    return Path(sys.executable).parent / "openams"


def _cli(*args: str | os.PathLike[str], timeout: float = 120) -> str:
    cmd = [openams_cli(), *args]
    done = _run(cmd, timeout)
    if done.returncode != 0:
        pytest.fail(
            f"`openams {' '.join(map(str, args))}` exited {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}",
            pytrace=False,
        )
    return done.stdout


@dataclass
class OfficialGateway:
    """A running ``openams serve`` and one sandbox merchant provisioned for the SDK."""

    url: str
    client_id: str
    #: PKCS#1 body, what the SDK documents; ``private_key_pkcs8`` is the same key as PKCS#8.
    private_key: str
    private_key_pkcs8: str
    gateway_public_key: str
    tls: TLSFiles
    database_url: str
    log_path: Path

    @property
    def env(self) -> dict[str, str]:
        """What the driver needs to trust the gateway's certificate."""
        return {"SSL_CERT_FILE": str(self.tls.ca_cert)}

    def call(
        self,
        api: str,
        params: Mapping[str, Any],
        *,
        private_key: str | None = None,
        client_id: str | None = None,
        gateway_public_key: str | None = None,
    ) -> dict[str, Any]:
        """A driver ``call`` command for this gateway and merchant."""
        return {
            "op": "call",
            "api": api,
            "gateway_url": self.url,
            "client_id": client_id or self.client_id,
            "private_key": private_key or self.private_key,
            "public_key": gateway_public_key or self.gateway_public_key,
            "params": dict(params),
        }

    def log_tail(self, chars: int = 8000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:  # pragma: no cover - diagnostics only
            return f"<no log: {exc}>"
        return text[-chars:]


def webhook_check(message: Any, public_key: str) -> dict[str, Any]:
    """A driver ``webhook_check`` of a notification a test receiver got (``Received``)."""
    return {
        "op": "webhook_check",
        "path": message.path,
        "client_id": message.headers["client-id"],
        "time": message.headers["request-time"],
        "body": message.body.decode(),
        "signature_header": message.headers["signature"],
        "public_key": public_key,
    }


@pytest.fixture(scope="session")
def official_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The official gateway's database: a SQLite file, or on PostgreSQL a schema of its
    own (not the ``test`` database's default schema), dropped after the session."""
    with fresh_database(tmp_path_factory.mktemp("official-db")) as url:
        yield url


def _wait_for_tls(process: subprocess.Popen[bytes], tls: TLSFiles, log_path: Path) -> None:
    context = ssl.create_default_context(cafile=str(tls.ca_cert))
    deadline = time.monotonic() + _SERVER_START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"openams serve exited with {process.returncode} before accepting TLS:\n"
                f"{log_path.read_text(errors='replace')}",
                pytrace=False,
            )
        try:
            with (
                socket.create_connection((GATEWAY_HOST, GATEWAY_PORT), timeout=2) as raw,
                context.wrap_socket(raw, server_hostname=GATEWAY_HOST),
            ):
                return
        except OSError as exc:
            last_error = exc
            time.sleep(0.2)
    pytest.fail(
        f"openams serve did not accept TLS on {GATEWAY_HOST}:{GATEWAY_PORT} within "
        f"{_SERVER_START_TIMEOUT:.0f}s (last error: {last_error}):\n"
        f"{log_path.read_text(errors='replace')}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def official_gateway(
    tmp_path_factory: pytest.TempPathFactory, official_database_url: str
) -> Iterator[OfficialGateway]:
    if not openams_cli().exists():
        pytest.fail(f"the gateway CLI {openams_cli()} is not installed", pytrace=False)
    directory = tmp_path_factory.mktemp("official-gateway")
    tls = make_tls_files(directory)
    database_url = official_database_url
    client_id = f"SANDBOX_OFFICIAL_{uuid.uuid4().hex[:12].upper()}"

    keys_dir = directory / "merchant-keys"
    _cli("keys", "generate", "--out", keys_dir)
    _cli(
        "merchants",
        "add",
        "--database-url",
        database_url,
        "--client-id",
        client_id,
        "--public-key-file",
        keys_dir / "public_key.pem",
        "--name",
        "official SDK e2e",
    )
    gateway_key = load_public_key(_cli("gateway-key", "--database-url", database_url))
    merchant_key = load_private_key((keys_dir / "private_key.pem").read_text())
    pkcs1 = merchant_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")
    pkcs8 = merchant_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")

    log_path = directory / "serve.log"
    with _PORT_LOCK.open("w") as port_lock, log_path.open("wb") as log:
        # one official gateway on :443 at a time, across concurrent test runs
        fcntl.flock(port_lock, fcntl.LOCK_EX)
        process = subprocess.Popen(
            [
                str(openams_cli()),
                "serve",
                "--host",
                GATEWAY_HOST,
                "--port",
                str(GATEWAY_PORT),
                "--database-url",
                database_url,
                "--public-url",
                PUBLIC_URL,
                "--ssl-certfile",
                str(tls.server_cert),
                "--ssl-keyfile",
                str(tls.server_key),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # notifications to the tests' receivers on 127.0.0.1
            env={**os.environ, "OPENAMS_ALLOW_PRIVATE_NOTIFY_URLS": "true"},
        )
        try:
            _wait_for_tls(process, tls, log_path)
            yield OfficialGateway(
                url=GATEWAY_URL,
                client_id=client_id,
                private_key=pem_body(pkcs1),
                private_key_pkcs8=pem_body(pkcs8),
                gateway_public_key=pem_body(public_key_pem(gateway_key)),
                tls=tls,
                database_url=database_url,
                log_path=log_path,
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            fcntl.flock(port_lock, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the gateway's log to every failing test that used it."""
    report = yield
    gateway = getattr(item, "funcargs", {}).get("official_gateway")
    if report.failed and isinstance(gateway, OfficialGateway):
        report.sections.append(("openams serve log (tail)", gateway.log_tail()))
    return report
