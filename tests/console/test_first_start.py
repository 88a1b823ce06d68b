"""`openams serve` on a fresh database prints the console admin's password once.

The real command runs as a subprocess on a fresh SQLite file: its stdout is read, the
printed password signs in over HTTP, a second start prints nothing, and the password
is nowhere in the database files in clear.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import UNUSED_TLS
from tests.console.conftest import sign_in
from tests.ports import free_port

OPENAMS = Path(sys.executable).with_name("openams")
PASSWORD_LINE = re.compile(r"^\s*password\s+(\S+)\s*$", re.MULTILINE)


@dataclass
class Served:
    url: str
    lines: list[str] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(self.lines)


@contextmanager
def openams_serve(database: Path, gateway_key_file: Path) -> Iterator[Served]:
    """``openams serve`` until its /healthz answers; stopped with SIGTERM on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAMS_")}
    env["OPENAMS_GATEWAY_PRIVATE_KEY_FILE"] = str(gateway_key_file)
    process = subprocess.Popen(
        [str(OPENAMS), "serve", "--port", str(port), "--database-url", f"sqlite:///{database}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    served = Served(f"http://127.0.0.1:{port}")
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: served.lines.extend(process.stdout or []))
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"openams serve exited: {served.stdout}"
            assert time.monotonic() < deadline, "openams serve did not start in 30 s"
            try:
                health = httpx.get(f"{served.url}/healthz", timeout=1, verify=UNUSED_TLS)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        process.stdout.close()


def test_first_start_prints_the_admin_password_once(tmp_path: Path, gateway_key_file: Path) -> None:
    database = tmp_path / "fresh.db"
    with openams_serve(database, gateway_key_file) as served:
        found = PASSWORD_LINE.search(served.stdout)
        assert found, served.stdout
        password = found.group(1)
        assert f"{served.url}/console" in served.stdout
        assert "openams console set-password" in served.stdout
        with httpx.Client(base_url=served.url) as client:
            assert sign_in(client, password="not " + password).status_code == 401
            reply = sign_in(client, password=password)
            assert reply.status_code == 303, reply.text
            assert client.get("/console").status_code == 200

    with (
        openams_serve(database, gateway_key_file) as again,
        httpx.Client(base_url=again.url) as client,
    ):
        assert sign_in(client, password=password).status_code == 303
    assert password not in again.stdout
    assert "password" not in again.stdout

    stored = b"".join(path.read_bytes() for path in tmp_path.glob("fresh.db*"))
    assert b"scrypt$" in stored
    assert password.encode() not in stored
