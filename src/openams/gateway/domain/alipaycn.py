"""AlipayCN currency, settlement and ``chinaExtraTransInfo`` rules (spec §8.3, §8.4).

Which result code each violation gets (the spec leaves it open; our decision):

- no ``settlementStrategy.settlementCurrency``, a malformed currency code, or a
  malformed ``order.extendInfo`` / ``chinaExtraTransInfo`` -> ``PARAM_ILLEGAL``;
- a payment currency AlipayCN does not take -> ``CURRENCY_NOT_SUPPORT``;
- a settlement currency that is CNY, not an AlipayCN settlement currency, not paired
  with the payment currency as the rules require, or not in the merchant's settlement
  contract -> ``SETTLE_CONTRACT_NOT_MATCH``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from openams.gateway.domain.errors import DomainError

CNY = "CNY"

#: Currencies a buyer can be charged in with AlipayCN.
PAYMENT_CURRENCIES: tuple[str, ...] = (
    "USD", "EUR", "JPY", "GBP", "CAD", "AUD", "SGD", "CHF",
    "SEK", "DKK", "NOK", "NZD", "THB", "HKD", "CNY",
)  # fmt: skip

#: Currencies an AlipayCN payment can settle in: the same list without CNY.
SETTLEMENT_CURRENCIES: tuple[str, ...] = tuple(c for c in PAYMENT_CURRENCIES if c != CNY)

#: The ``chinaExtraTransInfo`` fields we know (SDK ``ChinaExtraTransInfo``).
CHINA_EXTRA_TRANS_INFO_FIELDS: tuple[str, ...] = (
    "businessType",
    "flightNumber",
    "departureTime",
    "hotelName",
    "checkinTime",
    "checkoutTime",
    "admissionNoticeUrl",
    "totalQuantity",
    "goodsInfo",
    "otherBusinessType",
)


def _illegal(message: str) -> DomainError:
    return DomainError("PARAM_ILLEGAL", message)


def _not_match(message: str) -> DomainError:
    return DomainError("SETTLE_CONTRACT_NOT_MATCH", message)


def _extend_info_object(order_extend_info: object) -> Mapping[str, object] | None:
    if order_extend_info is None or order_extend_info == "":
        return None
    value = order_extend_info
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise _illegal(f"order.extendInfo is not valid JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise _illegal(
            "order.extendInfo must be a JSON object (or a string holding one), "
            'e.g. {"chinaExtraTransInfo": {"businessType": "4"}}'
        )
    return value


def _field_text(name: str, value: object) -> str | None:
    # Scalars other than strings: spec §1.7 asks us to accept numbers where strings are
    # documented, so integers become their digits; null means absent.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _illegal(
        f"order.extendInfo.chinaExtraTransInfo.{name} must be a string, not {type(value).__name__}"
    )


def parse_china_extra_trans_info(
    order_extend_info: str | Mapping[str, object] | None,
) -> dict[str, str] | None:
    """The known ``chinaExtraTransInfo`` fields of ``order.extendInfo``, as strings.

    ``order.extendInfo`` may be a JSON-encoded string (as in real request bodies) or an
    object (as in the docs' notes). Returns None when there is no extendInfo or it has
    no ``chinaExtraTransInfo``; unknown fields inside it are ignored. Raises
    ``PARAM_ILLEGAL`` when extendInfo is not a JSON object, ``chinaExtraTransInfo`` is
    not an object, or a known field is not a string (integers are accepted as text).
    """
    outer = _extend_info_object(order_extend_info)
    if outer is None or outer.get("chinaExtraTransInfo") is None:
        return None
    info = outer["chinaExtraTransInfo"]
    if not isinstance(info, Mapping):
        raise _illegal("order.extendInfo.chinaExtraTransInfo must be a JSON object")
    parsed: dict[str, str] = {}
    for name in CHINA_EXTRA_TRANS_INFO_FIELDS:
        text = _field_text(name, info.get(name))
        if text is not None:
            parsed[name] = text
    return parsed


def _check_code(label: str, code: str) -> None:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise _illegal(f"{label} {code!r} must be a 3-letter ISO 4217 code")


def check_alipaycn(
    payment_currency: str,
    settlement_currency: str | None,
    order_extend_info: str | Mapping[str, object] | None,
    *,
    contracted_settlement_currencies: Iterable[str],
) -> None:
    """Raise :class:`DomainError` if an ALIPAY_CN payment breaks the AlipayCN rules.

    ``chinaExtraTransInfo`` is optional here: Antom requires it only from merchants
    integrated with AlipayCN directly (acquirers may omit it), and a sandbox gateway
    cannot tell which kind of merchant is calling, so its absence is accepted. When it
    is present it must be well formed.
    """
    if not settlement_currency:
        raise _illegal(
            "settlementStrategy.settlementCurrency is required for ALIPAY_CN; "
            f"use one of {', '.join(SETTLEMENT_CURRENCIES)}"
        )
    _check_code("settlementStrategy.settlementCurrency", settlement_currency)
    parse_china_extra_trans_info(order_extend_info)
    if payment_currency not in PAYMENT_CURRENCIES:
        raise DomainError(
            "CURRENCY_NOT_SUPPORT",
            f"ALIPAY_CN does not accept {payment_currency}; "
            f"it accepts {', '.join(PAYMENT_CURRENCIES)}",
        )
    if settlement_currency == CNY:
        raise _not_match("ALIPAY_CN payments cannot settle in CNY; choose a non-CNY currency")
    if settlement_currency not in SETTLEMENT_CURRENCIES:
        raise _not_match(
            f"ALIPAY_CN payments cannot settle in {settlement_currency}; "
            f"they settle in {', '.join(SETTLEMENT_CURRENCIES)}"
        )
    if payment_currency != CNY and settlement_currency != payment_currency:
        raise _not_match(
            f"an ALIPAY_CN payment in {payment_currency} must settle in {payment_currency}, "
            f"not {settlement_currency}"
        )
    contracted = sorted(set(contracted_settlement_currencies))
    if settlement_currency not in contracted:
        held = ", ".join(contracted) or "none"
        raise _not_match(
            f"settlement currency {settlement_currency} is not in the merchant's settlement "
            f"contract ({held})"
        )
