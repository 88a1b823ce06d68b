"""The card number and CVV are never stored or logged in clear.

Runs server-to-server card payments (success, tokenize, 3DS, decline, refused data,
token reuse, capture, refund, notification delivery) with distinctive test PANs and
CVVs, with every logger at DEBUG (SQL statements and their parameters included), then
searches the database (the SQLite file and its WAL, or every row on PostgreSQL) and the
captured log records for them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from openams.gateway.app import Gateway
from openams.gateway.domain.request_log import LogQuery
from tests.ams_client import AmsClient
from tests.gateway.integration.card_payloads import (
    AMEX,
    VISA,
    VISA_3DS,
    VISA_DECLINED,
    card_meta,
    card_pay_body,
)
from tests.gateway.integration.payloads import new_id
from tests.notify.receiver import receiver

VISA_CVV = "918"
AMEX_CVV = "9187"
LOGGERS = (
    "",
    "openams",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "sqlalchemy.engine",
    "httpx",
    "httpcore",
)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the app's, uvicorn's and SQLAlchemy's loggers (some of which do
    not propagate to the root logger)."""
    previous = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        previous.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        if name and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        for logger, level in previous:
            logger.setLevel(level)
            if logger.name != "root" and caplog.handler in logger.handlers:
                logger.removeHandler(caplog.handler)


def _database_bytes(gateway: Gateway) -> bytes:
    """The SQLite file and its journals as they are on disk, plus every row as text."""
    url = make_url(gateway.settings.database_url)
    chunks: list[bytes] = []
    if url.get_backend_name() == "sqlite" and url.database:
        main = Path(url.database)
        for path in main.parent.glob(main.name + "*"):
            chunks.append(path.read_bytes())
        assert chunks and len(chunks[0]) > 0
    with gateway.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)).encode())
    return b"\n".join(chunks)


def _found(secret: str, data: bytes) -> bool:
    """``secret`` as a token of its own: not inside a longer word, number or id, nor the
    milliseconds of a logged time (``07:18:36.918+00:00``)."""
    pattern = rb"(?<![0-9A-Za-z.])" + re.escape(secret.encode()) + rb"(?![0-9A-Za-z])"
    return re.search(pattern, data) is not None


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def test_pan_and_cvv_are_never_stored_or_logged(
    ams: AmsClient, gateway: Gateway, all_logs: pytest.LogCaptureFixture
) -> None:
    spaced_visa = _spaced(VISA)
    with receiver() as merchant:
        notify = {"paymentNotifyUrl": merchant.url}
        sale = ams.call(
            "payments/pay", card_pay_body(card_meta(spaced_visa, cvv=VISA_CVV), **notify)
        )
        assert sale.code == "SUCCESS", sale.result
        saved = ams.call(
            "payments/pay",
            card_pay_body(
                card_meta(AMEX, cvv=AMEX_CVV, tokenize=True),
                authorization=True,
                capture_mode="MANUAL",
                **notify,
            ),
        )
        assert saved.code == "SUCCESS", saved.result
        token = saved.body["paymentResultInfo"]["cardToken"]
        assert ams.call("payments/pay", card_pay_body(method_id=token, **notify)).code == "SUCCESS"
        challenged = ams.call(
            "payments/pay", card_pay_body(card_meta(VISA_3DS, cvv=VISA_CVV), **notify)
        )
        ams.call(
            "testHelpers/completePayment",
            {"paymentId": challenged.body["paymentId"], "outcome": "SUCCESS"},
        )
        declined = ams.call(
            "payments/pay", card_pay_body(card_meta(VISA_DECLINED, cvv=VISA_CVV), **notify)
        )
        assert declined.code == "PROCESS_FAIL"
        refused = ams.call("payments/pay", card_pay_body(card_meta(VISA, cvv="12")))
        assert refused.code == "INVALID_PAYMENT_METHOD_META_DATA"
        bad_luhn = ams.call("payments/pay", card_pay_body(card_meta(VISA[:-1] + "2")))
        assert bad_luhn.code == "INVALID_PAYMENT_METHOD_META_DATA"
        session = ams.call(
            "payments/createPaymentSession",
            {
                "productCode": "CASHIER_PAYMENT",
                "paymentRequestId": new_id(),
                "order": {
                    "referenceOrderId": new_id("ORDER"),
                    "orderDescription": "card session",
                    "orderAmount": {"currency": "USD", "value": "1000"},
                },
                "paymentAmount": {"currency": "USD", "value": "1000"},
                "paymentRedirectUrl": "https://shop.example/return",
                "paymentMethod": {
                    "paymentMethodType": "CARD",
                    "paymentMethodMetaData": card_meta(VISA, cvv=VISA_CVV),
                },
            },
        )
        assert session.code == "SUCCESS", session.result
        capture = ams.call(
            "payments/capture",
            {
                "captureRequestId": new_id("CAP"),
                "paymentId": saved.body["paymentId"],
                "captureAmount": {"currency": "USD", "value": "1000"},
            },
        )
        assert capture.code == "SUCCESS"
        refund = ams.call(
            "payments/refund",
            {
                "refundRequestId": new_id("RF"),
                "paymentId": sale.body["paymentId"],
                "refundAmount": {"currency": "USD", "value": "300"},
                "refundNotifyUrl": merchant.url,
            },
        )
        assert refund.code == "SUCCESS"
        worker = gateway.dispatcher()
        try:
            assert worker.drain() >= 5
        finally:
            worker.close()
    delivered = b"\n".join(r.body for r in merchant.received)
    assert b"411111******1111" in delivered  # notifications carry the masked number

    gateway.recorder.flush()  # the request log holds every call, bodies included
    assert gateway.request_log.search(LogQuery(path="payments/pay", result_code="SUCCESS"))
    stored = _database_bytes(gateway)
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in all_logs.records
    ).encode()
    # the capture works: the SQL, the access log and the stored payments are there
    assert b"INSERT INTO payments" in logged
    assert b"/payments/pay" in logged
    assert b"411111******1111" in stored and b"378282******0005" in stored

    for place, data in (("database", stored), ("logs", logged), ("notifications", delivered)):
        for number in (VISA, AMEX, VISA_3DS, VISA_DECLINED):
            assert number.encode() not in data, f"card number {number} found in the {place}"
            assert _spaced(number).encode() not in data, f"{_spaced(number)} in the {place}"
        for cvv in (VISA_CVV, AMEX_CVV):
            assert not _found(cvv, data), f"CVV {cvv} found in the {place}"
        for key in (b'"cvv"', b"'cvv'"):  # a field name, in JSON or a Python repr
            assert key not in data.lower(), f"a cvv field found in the {place}"
