"""What an ALIPAY_CN pay request adds: ``chinaExtraTransInfo`` and the settlement currency.

Spec §8.4: ``order.extendInfo`` is a JSON string holding ``chinaExtraTransInfo``
(``businessType``, ``goodsInfo`` as ``name^qty|name^qty``, ``totalQuantity``). Spec §8.3:
a payment in CNY settles in another currency, any other payment in its own currency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

METHOD = "ALIPAY_CN"
CNY = "CNY"
#: ``businessType`` of a physical-goods shop: "4", as both AlipayCN samples use for goods.
GOODS_BUSINESS_TYPE = "4"
#: ``^`` and ``|`` separate the goodsInfo fields; a product name must not carry them.
_SEPARATORS = str.maketrans({"^": " ", "|": " "})


def goods_info(lines: Sequence[tuple[str, int]]) -> str:
    """``name^qty|name^qty`` for (product name, quantity) lines."""
    return "|".join(f"{name.translate(_SEPARATORS).strip()}^{qty}" for name, qty in lines)


def china_extra_trans_info(lines: Sequence[tuple[str, int]]) -> dict[str, str]:
    return {
        "businessType": GOODS_BUSINESS_TYPE,
        "goodsInfo": goods_info(lines),
        "totalQuantity": str(sum(quantity for _, quantity in lines)),
    }


def order_extend_info(lines: Sequence[tuple[str, int]]) -> str:
    """``order.extendInfo``: a JSON-encoded string, as in the real request bodies."""
    info = {"chinaExtraTransInfo": china_extra_trans_info(lines)}
    return json.dumps(info, ensure_ascii=False, separators=(",", ":"))


def settlement_currency(payment_currency: str, cny_settlement_currency: str) -> str:
    """The shop's settlement currency for an ALIPAY_CN payment (spec §8.3).

    The shop does not second-guess a misconfigured ``cny_settlement_currency`` (CNY, say):
    the gateway's answer says what is wrong, and the buyer sees it.
    """
    return cny_settlement_currency if payment_currency == CNY else payment_currency
