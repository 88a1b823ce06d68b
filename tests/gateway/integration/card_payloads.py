"""Card pay bodies (server-to-server), shaped like the quickstart's card sample."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.gateway.integration.payloads import pay_body

VISA = "4111111111111111"
VISA_3DS = "4000000000003220"
VISA_DECLINED = "4000000000000002"
VISA_NO_FUNDS = "4000000000009995"
AMEX = "378282246310005"
MIR = "2200000000000004"  # Luhn-valid, a brand the gateway does not take
QUICKSTART_SAMPLE = "0255187751531899"  # the quickstart's placeholder: fails Luhn


def future_year(years: int = 3) -> str:
    return f"{(datetime.now(UTC).year + years) % 100:02d}"


def card_meta(
    card_no: str = VISA,
    *,
    cvv: str | None = "918",
    month: str = "12",
    year: str | None = None,
    tokenize: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "cardNo": card_no,
        "expiryMonth": month,
        "expiryYear": year if year is not None else future_year(),
        "cardholderName": {"firstName": "Alan", "lastName": "Wallex"},
        **extra,
    }
    if cvv is not None:
        meta["cvv"] = cvv
    if tokenize is not None:
        meta["tokenize"] = tokenize
    return meta


def card_pay_body(
    meta: dict[str, Any] | None = None,
    *,
    method_id: str | None = None,
    value: str = "1000",
    currency: str = "USD",
    authorization: bool | None = None,
    capture_mode: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A CARD pay with card data (``meta``) or a saved cardToken (``method_id``)."""
    method: dict[str, Any] = {"paymentMethodType": "CARD"}
    if meta is not None:
        method["paymentMethodMetaData"] = meta
    if method_id is not None:
        method["paymentMethodId"] = method_id
    body = pay_body(method="CARD", currency=currency, value=value, **extra)
    body["paymentMethod"] = method
    factor: dict[str, Any] = {}
    if authorization is not None:
        factor["isAuthorization"] = authorization
    if capture_mode is not None:
        factor["captureMode"] = capture_mode
    if factor:
        body["paymentFactor"] = factor
    return body
