"""Sign and verify one AMS request: openams.protocol vs the official SDK's signature_tool.

Not a test. The official SDK (global-open-sdk-python 1.7.1) pins cryptography 44.0.3, so
run this with its virtual environment, with ``src`` on the path so ``openams.protocol``
(which needs only cryptography) imports in the same process::

    PYTHONPATH=src .venv-official/bin/python bench/bench_signing.py

Both sides sign the same content (``POST <path>\\n<client-id>.<time>.<body>``) with the same
2048-bit key. The official SDK receives its keys the way it documents them (bare base64
PKCS#1 private key, bare base64 SPKI public key) and parses them on every call; openams
parses them once (as ``openams.sdk.Client`` does at construction).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import cryptography

from openams.protocol import signing
from openams.protocol.keys import generate_key_pair, load_private_key, load_public_key, pem_body

try:
    from com.alipay.ams.api.tools import signature_tool
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit(
        "the official SDK is not importable: run with "
        "PYTHONPATH=src .venv-official/bin/python bench/bench_signing.py"
    )

PATH = "/ams/api/v1/payments/pay"
CLIENT_ID = "SANDBOX_5YBZ1J2ZA8AC07829"
REQUEST_TIME = "2024-05-01T08:00:00+00:00"
BODY = json.dumps(
    {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": "PAY_20240501080000_0001",
        "order": {
            "referenceOrderId": "ORDER_0001",
            "orderDescription": "Cappuccino x2",
            "orderAmount": {"currency": "USD", "value": "1000"},
        },
        "paymentAmount": {"currency": "USD", "value": "1000"},
        "paymentMethod": {"paymentMethodType": "ALIPAY_CN"},
        "paymentRedirectUrl": "https://merchant.example/return",
        "paymentNotifyUrl": "https://merchant.example/notify",
        "env": {"terminalType": "WEB", "clientIp": "114.121.121.1"},
        "settlementStrategy": {"settlementCurrency": "USD"},
    },
    indent=3,
)


#: CPU time of this process: steadier than wall time on a shared machine, and the work
#: measured is single-threaded and CPU-bound.
_now = time.process_time


@dataclass
class Timing:
    ops: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.ops / self.seconds

    @property
    def micros(self) -> float:
        return self.seconds / self.ops * 1e6


def measure(func: Callable[[], object], min_seconds: float) -> Timing:
    """Grow a batch until it takes ``min_seconds / 3``, then keep the best of 5 such rounds."""
    func()  # warm-up
    batch = 1
    while True:
        start = _now()
        for _ in range(batch):
            func()
        elapsed = _now() - start
        if elapsed >= min_seconds / 3:
            break
        batch *= 2
    best = elapsed
    for _ in range(4):
        start = _now()
        for _ in range(batch):
            func()
        best = min(best, _now() - start)
    return Timing(batch, best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()

    pair = generate_key_pair()
    private_b64 = pem_body(pair.private_pem)  # PKCS#1 body, as the official SDK takes it
    public_b64 = pem_body(pair.public_pem)  # SPKI body
    private_key = load_private_key(private_b64)  # parsed once
    public_key = load_public_key(public_b64)

    ours_sig = signing.sign("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, private_key)
    theirs_sig = signature_tool.sign("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, private_b64)
    # Deterministic PKCS#1 v1.5: the same key and content give the same signature.
    assert ours_sig == theirs_sig, "signatures differ"
    assert signature_tool.verify("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, ours_sig, public_b64)
    assert signing.verify("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, theirs_sig, public_key)

    def ours_sign() -> object:
        return signing.sign("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, private_key)

    def theirs_sign() -> object:
        return signature_tool.sign("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, private_b64)

    def ours_verify() -> object:
        return signing.verify("POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, ours_sig, public_key)

    def theirs_verify() -> object:
        return signature_tool.verify(
            "POST", PATH, CLIENT_ID, REQUEST_TIME, BODY, ours_sig, public_b64
        )

    def ours_both() -> object:
        ours_sign()
        return ours_verify()

    def theirs_both() -> object:
        theirs_sign()
        return theirs_verify()

    rows = [
        ("sign", ours_sign, theirs_sign),
        ("verify", ours_verify, theirs_verify),
        ("sign + verify", ours_both, theirs_both),
    ]
    print(
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{platform.machine()}, RSA-2048, {len(BODY)}-byte body, CPU time, best of 5 x >= "
        f"{args.seconds / 3:.1f} s"
    )
    print(f"{'operation':<15}{'openams ops/s':>15}{'official ops/s':>16}{'ratio':>9}")
    for name, ours, theirs in rows:
        a, b = measure(ours, args.seconds), measure(theirs, args.seconds)
        ratio = a.per_second / b.per_second
        print(f"{name:<15}{a.per_second:>15,.0f}{b.per_second:>16,.0f}{ratio:>8.1f}x")


if __name__ == "__main__":
    main()
