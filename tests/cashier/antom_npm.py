"""Antom's own Web SDK (npm ``@alipay/ams-checkout``), installed for tests only.

It goes into ``<repo>/.antom-npm`` (git-ignored, never shipped): installed on first use
with the pinned version, guarded by a marker file and an ``fcntl`` lock so concurrent
test runs neither race nor install twice. Tests load its UMD build into Chromium and
feed it openams's paymentSessionData, with every request to anywhere else refused.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NPM_DIR = REPO_ROOT / ".antom-npm"
PACKAGE = "@alipay/ams-checkout@1.47.2"
UMD = NPM_DIR / "node_modules" / "@alipay" / "ams-checkout" / "dist" / "umd" / "ams-checkout.min.js"
_MARKER = NPM_DIR / ".openams-installed"
_LOCK = NPM_DIR / ".openams-lock"
_INSTALL_TIMEOUT = 600


def ensure_antom_sdk() -> Path:
    """The path of Antom's UMD build, installed from the npm registry if missing."""
    NPM_DIR.mkdir(exist_ok=True)
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if UMD.exists() and _MARKER.exists() and _MARKER.read_text().strip() == PACKAGE:
                return UMD
            _MARKER.unlink(missing_ok=True)
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("npm is missing: install Node.js (apt-get install npm)")
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(NPM_DIR),
                 PACKAGE],
                capture_output=True,
                text=True,
                timeout=_INSTALL_TIMEOUT,
                check=False,
            )  # fmt: skip
            if done.returncode != 0 or not UMD.exists():
                pytest.fail(f"npm install {PACKAGE} failed:\n{done.stdout}\n{done.stderr}")
            _MARKER.write_text(PACKAGE + "\n")
            return UMD
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
