"""A repeated pay's fingerprint: what REPEAT_REQ_INCONSISTENT names as different."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openams.gateway.domain.payment import Fingerprint

FIRST = Fingerprint("CASHIER_PAYMENT", "HKD", 100, "ALIPAY_HK", None, None)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"product_code": "AGREEMENT_PAYMENT"}, "productCode"),
        ({"currency": "USD"}, "paymentAmount.currency"),
        ({"value": 200}, "paymentAmount.value"),
        ({"method_type": "GCASH"}, "paymentMethod.paymentMethodType"),
        ({"method_id": "TOKEN_1"}, "paymentMethod.paymentMethodId"),
        ({"settlement_currency": "USD"}, "settlementStrategy.settlementCurrency"),
    ],
)
def test_each_field_is_named_by_its_wire_name(change: dict[str, object], named: str) -> None:
    other = replace(FIRST, **change)  # type: ignore[arg-type]
    assert FIRST.differences(other) == [named]
    assert Fingerprint.decode(other.encode()) == other


def test_identical_fingerprints_differ_in_nothing() -> None:
    assert FIRST.differences(replace(FIRST)) == []
    assert FIRST.differences(replace(FIRST, method_id="")) == []  # absent and empty alike
