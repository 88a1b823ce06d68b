"""Payment-method rules (check_payable, cancel, refund) and the catalogue data."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.payment_methods import (
    SIMULATED_APP_PREFIX,
    CancelWindow,
    MethodCategory,
    PaymentMethodSpec,
    cancel_deadline,
    check_cancellable,
    check_payable,
    check_refundable,
)
from openams.gateway.methods.catalogue import DEFAULT_CATALOGUE, Catalogue, markdown_table
from openams.gateway.methods.logos import LOGO_DIR, logo_path, render_logo
from openams.protocol.money import CURRENCY_EXPONENTS, MINOR_VALUE_MULTIPLE, Money

REPO = Path(__file__).resolve().parents[3]
WIRE_CATEGORIES = {
    "ALIPAY_PLUS",
    "WALLET",
    "MOBILE_BANKING_APP",
    "BANK_TRANSFER",
    "ONLINE_BANKING",
    "CARD",
    "OTC",
    "VA",
}
SPECS = sorted(DEFAULT_CATALOGUE, key=lambda s: s.type)


def method(method_type: str) -> PaymentMethodSpec:
    spec = DEFAULT_CATALOGUE.get(method_type)
    assert spec is not None, method_type
    return spec


def pay(
    method_type: str,
    currency: str,
    value: int,
    terminal: str | None = "WEB",
    product: str = "CASHIER_PAYMENT",
) -> None:
    spec = method(method_type)
    check_payable(spec, Money(currency, value), terminal_type=terminal, product_code=product)


def refused(
    method_type: str,
    currency: str,
    value: int,
    terminal: str | None = "WEB",
    product: str = "CASHIER_PAYMENT",
) -> DomainError:
    with pytest.raises(DomainError) as caught:
        pay(method_type, currency, value, terminal, product)
    return caught.value


# --- catalogue data -----------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_currency_is_iso_4217(spec: PaymentMethodSpec) -> None:
    assert spec.currencies
    for currency in spec.currencies:
        assert currency in CURRENCY_EXPONENTS
    for limits in (spec.min_amount, spec.max_amount, spec.minor_value_multiple):
        assert set(limits) <= set(spec.currencies)
        assert all(value > 0 for value in limits.values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_method_has_its_logo_file(spec: PaymentMethodSpec) -> None:
    path = logo_path(spec)
    assert path.is_file(), f"missing {path}; run python -m openams.gateway.methods.logos"
    assert path.read_text(encoding="utf-8") == render_logo(spec)


def test_no_stray_logo_files() -> None:
    assert {p.stem for p in LOGO_DIR.glob("*.svg")} == {s.type for s in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_shape_of_every_method(spec: PaymentMethodSpec) -> None:
    assert spec.category.wire in WIRE_CATEGORIES
    assert 0 < len(spec.logo_name) <= 12
    for region in spec.regions:
        assert region == "GLOBAL" or (len(region) == 2 and region.isupper())
    assert spec.terminals <= {"WEB", "WAP", "APP", "MINI_APP"}
    assert spec.products and spec.products <= {"CASHIER_PAYMENT", "IN_STORE_PAYMENT"}
    assert spec.refund_window == timedelta(days=365)
    assert spec.default_expiry > timedelta(0)
    assert spec.has_app == (spec.app_identifier is not None)
    assert spec.cancel_rule


def test_catalogue_lookup() -> None:
    assert "ALIPAY_HK" in DEFAULT_CATALOGUE
    assert "NOPE" not in DEFAULT_CATALOGUE
    assert DEFAULT_CATALOGUE.get("NOPE") is None
    assert len(list(DEFAULT_CATALOGUE)) == len(DEFAULT_CATALOGUE) >= 60
    with pytest.raises(DomainError) as caught:
        DEFAULT_CATALOGUE.require("NOPE")
    assert caught.value.code == "PARAM_ILLEGAL"
    assert "NOPE" in caught.value.message


def test_catalogue_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="twice"):
        Catalogue([method("GCASH"), method("GCASH")])


def test_spec_validates_its_data() -> None:
    base = method("ALIPAY_HK")
    with pytest.raises(ValueError, match="unknown currencies"):
        dataclasses.replace(base, currencies=("HKX",))
    with pytest.raises(ValueError, match="min_amount"):
        dataclasses.replace(base, min_amount={"USD": 1})
    with pytest.raises(ValueError, match="logo name"):
        dataclasses.replace(base, logo_name="A very long logo name")
    with pytest.raises(ValueError, match="terminal"):
        dataclasses.replace(base, terminals=frozenset({"TV"}))


def test_spec_limits_are_read_only() -> None:
    with pytest.raises(TypeError):
        method("GCASH").min_amount["PHP"] = 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("method_type", "expiry"),
    [
        ("ALIPAY_HK", timedelta(minutes=14)),
        ("GCASH", timedelta(minutes=14)),
        ("PIX", timedelta(minutes=14)),
        ("LINKAJA", timedelta(minutes=5)),
        ("VIETQR", timedelta(minutes=15)),
        ("BANCOMATPAY", timedelta(hours=1)),
        ("BANKTRANSFER_MAYBANK", timedelta(hours=48)),
        ("BCABANK_VA", timedelta(hours=48)),
        ("CARD", timedelta(days=7)),
        ("MERCADOPAGO_BR", timedelta(days=7)),
        ("KONBINI", timedelta(days=7)),
        ("ONLINEBANKING_PAYEASY", timedelta(days=7)),
    ],
)
def test_default_expiry_follows_the_spec(method_type: str, expiry: timedelta) -> None:
    assert method(method_type).default_expiry == expiry


def test_wallets_default_to_fourteen_minutes() -> None:
    odd = {"LINKAJA", "MERCADOPAGO_BR", "MERCADOPAGO_CL", "MERCADOPAGO_MX", "MERCADOPAGO_PE"}
    for spec in SPECS:
        if spec.category is MethodCategory.WALLET and spec.type not in odd:
            assert spec.default_expiry == timedelta(minutes=14), spec.type


def test_app_identifiers() -> None:
    assert method("ALIPAY_HK").app_identifier == "hk.alipay.wallet"
    assert method("GCASH").app_identifier == SIMULATED_APP_PREFIX + "gcash"
    assert not method("CARD").has_app
    assert not method("BCABANK_VA").has_app


def test_categories_and_wire_values() -> None:
    assert method("CONNECT_WALLET").category is MethodCategory.ALIPAY_PLUS
    assert method("CONNECT_WALLET").products == {"IN_STORE_PAYMENT"}
    assert method("KONBINI").category.wire == "OTC"
    assert method("BCABANK_VA").category.wire == "VA"
    assert method("PAIDY").category is MethodCategory.BNPL
    assert MethodCategory.BNPL.wire == "WALLET"
    assert MethodCategory.REAL_TIME_PAYMENT.wire == "MOBILE_BANKING_APP"
    assert MethodCategory.CARRIER_BILLING.wire == "WALLET"
    assert MethodCategory.CARD.wire == "CARD"


# --- check_payable ------------------------------------------------------------------


def test_documented_payments_pass() -> None:
    pay("ALIPAY_HK", "HKD", 100, "WAP")
    pay("ALIPAY_CN", "USD", 100)
    pay("ALIPAY_CN", "CNY", 1314, "APP")
    pay("ALIPAY_CN", "CHF", 500, "MINI_APP")
    pay("CARD", "BRL", 4200)
    pay("CONNECT_WALLET", "USD", 10, None, "IN_STORE_PAYMENT")


def test_currency_not_supported_names_the_accepted_ones() -> None:
    error = refused("ALIPAY_HK", "USD", 100)
    assert error.code == "CURRENCY_NOT_SUPPORT"
    assert error.message == "ALIPAY_HK does not accept USD; it accepts HKD"


def test_terminal_not_served() -> None:
    error = refused("OCTOPUS", "HKD", 100, terminal="MINI_APP")
    assert error.code == "PARAM_ILLEGAL"
    assert "MINI_APP" in error.message and "WAP" in error.message


def test_unknown_terminal() -> None:
    error = refused("ALIPAY_HK", "HKD", 100, terminal="TV")
    assert error.code == "PARAM_ILLEGAL"
    assert "terminalType 'TV'" in error.message


def test_missing_terminal_is_not_refused_here() -> None:
    pay("ALIPAY_HK", "HKD", 100, None)


def test_product_not_supported() -> None:
    error = refused("ALIPAY_HK", "HKD", 100, product="IN_STORE_PAYMENT")
    assert error.code == "BUSINESS_NOT_SUPPORT"
    assert "IN_STORE_PAYMENT" in error.message
    error = refused("CONNECT_WALLET", "USD", 10, product="CASHIER_PAYMENT")
    assert error.code == "BUSINESS_NOT_SUPPORT"


@pytest.mark.parametrize(
    ("method_type", "currency", "minimum", "text"),
    [
        ("ALIPAY_HK", "HKD", 1, "minimum is HKD 0.01"),
        ("GCASH", "PHP", 100, "minimum is PHP 1.00"),
        ("TRUEMONEY", "THB", 100, "minimum is THB 1.00"),
        ("ALIPAY_CN", "CNY", 10, "minimum is CNY 0.10"),
        ("TNG", "MYR", 5, "minimum is MYR 0.05"),
        ("KAKAOPAY", "KRW", 50, "minimum is KRW 50"),
        ("AKULAKU_PAYLATER_ID", "IDR", 30000, "minimum is IDR 300.00"),
        ("DANA", "IDR", 30000, "minimum is IDR 300.00"),
        ("JKOPAY", "TWD", 100, "minimum is TWD 1.00"),
    ],
)
def test_minimum(method_type: str, currency: str, minimum: int, text: str) -> None:
    pay(method_type, currency, minimum)
    step = MINOR_VALUE_MULTIPLE.get(currency, 1)
    if minimum > step:
        error = refused(method_type, currency, minimum - step)
        assert error.code == "PARAM_ILLEGAL"
        assert text in error.message


def test_alipay_hk_minimum_is_one_cent() -> None:
    # The smallest positive HKD amount is the minimum, so nothing in HKD is below it.
    assert method("ALIPAY_HK").min_amount == {"HKD": 1}


def test_alipay_cn_minimum_applies_to_cny_only() -> None:
    assert refused("ALIPAY_CN", "CNY", 9).code == "PARAM_ILLEGAL"
    pay("ALIPAY_CN", "USD", 1)


@pytest.mark.parametrize(
    ("method_type", "currency", "maximum", "text"),
    [
        ("TRUEMONEY", "THB", 3_000_000, "maximum is THB 30000.00"),
        ("GCASH", "PHP", 10_000_000, "maximum is PHP 100000.00"),
        ("AKULAKU_PAYLATER_ID", "IDR", 2_500_000_000, "maximum is IDR 25000000.00"),
    ],
)
def test_maximum(method_type: str, currency: str, maximum: int, text: str) -> None:
    pay(method_type, currency, maximum)
    step = MINOR_VALUE_MULTIPLE.get(currency, 1)
    error = refused(method_type, currency, maximum + step)
    assert error.code == "PAYMENT_AMOUNT_EXCEED_LIMIT"
    assert text in error.message


@pytest.mark.parametrize(
    ("method_type", "currency", "good", "bad"),
    [("JKOPAY", "TWD", 1200, 1250), ("OCTOPUS", "HKD", 990, 995)],
)
def test_minor_value_multiple(method_type: str, currency: str, good: int, bad: int) -> None:
    pay(method_type, currency, good)
    error = refused(method_type, currency, bad)
    assert error.code == "PARAM_ILLEGAL"
    assert "multiple" in error.message


def test_idr_whole_rupiah_rule_applies_even_to_hand_built_money() -> None:
    assert refused("OVO", "IDR", 12345).code == "PARAM_ILLEGAL"


def test_refusal_order_product_terminal_currency_amount() -> None:
    assert refused("GCASH", "USD", 1, terminal="TV", product="IN_STORE_PAYMENT").code == (
        "BUSINESS_NOT_SUPPORT"
    )
    assert refused("OCTOPUS", "USD", 1, terminal="MINI_APP").code == "PARAM_ILLEGAL"
    assert refused("GCASH", "USD", 1).code == "CURRENCY_NOT_SUPPORT"


@st.composite
def _payable(draw: st.DrawFn) -> tuple[PaymentMethodSpec, Money, str | None]:
    spec = draw(st.sampled_from(SPECS))
    currency = draw(st.sampled_from(spec.currencies))
    step = spec.minor_value_multiple.get(currency) or MINOR_VALUE_MULTIPLE.get(currency, 1)
    low = max(spec.min_amount.get(currency, 1), 1)
    high = spec.max_amount.get(currency, 10**12)
    units = draw(st.integers(-(-low // step), high // step))
    terminal = draw(st.sampled_from([*sorted(spec.terminals), None]))
    return spec, Money(currency, units * step), terminal


@given(_payable())
def test_any_amount_within_the_rules_is_payable(
    case: tuple[PaymentMethodSpec, Money, str | None],
) -> None:
    spec, money, terminal = case
    for product in spec.products:
        check_payable(spec, money, terminal_type=terminal, product_code=product)


@given(st.sampled_from(SPECS), st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_foreign_currencies_are_refused(spec: PaymentMethodSpec, currency: str) -> None:
    if currency in spec.currencies:
        return
    product = sorted(spec.products)[0]
    with pytest.raises(DomainError) as caught:
        check_payable(spec, Money(currency, 10_000), terminal_type=None, product_code=product)
    assert caught.value.code == "CURRENCY_NOT_SUPPORT"
    assert currency in caught.value.message


# --- cancel and refund ----------------------------------------------------------------

PAID = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # 18:00 in UTC+8


def test_cancel_windows_follow_the_spec() -> None:
    for method_type in ("DANA", "OVO", "LINKAJA", "QRIS", "BCABANK_VA", "JKOPAY"):
        assert not method(method_type).cancellable, method_type
    assert method("KPLUS").cancel_window is CancelWindow.BEFORE_PAYMENT
    assert method("CARD").cancel_window is CancelWindow.SEVEN_DAYS_UNCAPTURED
    assert method("MERCADOPAGO_MX").cancel_window is CancelWindow.SEVEN_DAYS
    assert method("ALIPAY_HK").cancel_window is CancelWindow.T1_0015_UTC8


def test_not_cancellable_method() -> None:
    with pytest.raises(DomainError) as caught:
        check_cancellable(method("DANA"), paid_at=None, captured=False, now=PAID)
    assert caught.value.code == "BUSINESS_NOT_SUPPORT"


def test_unpaid_payments_are_cancellable() -> None:
    for method_type in ("KPLUS", "CARD", "ALIPAY_HK", "MERCADOPAGO_BR"):
        check_cancellable(method(method_type), paid_at=None, captured=False, now=PAID)


def test_thai_banking_only_before_payment() -> None:
    with pytest.raises(DomainError) as caught:
        check_cancellable(method("KPLUS"), paid_at=PAID, captured=False, now=PAID)
    assert caught.value.code == "CANCEL_WINDOW_EXCEED"


def test_t_plus_one_window_closes_at_0015_utc8() -> None:
    spec = method("ALIPAY_HK")
    deadline = cancel_deadline(spec, PAID)
    assert deadline == datetime(2024, 5, 2, 0, 15, tzinfo=timezone(timedelta(hours=8)))
    check_cancellable(spec, paid_at=PAID, captured=False, now=deadline - timedelta(seconds=1))
    with pytest.raises(DomainError) as caught:
        check_cancellable(spec, paid_at=PAID, captured=False, now=deadline)
    assert caught.value.code == "CANCEL_WINDOW_EXCEED"
    assert "refund" in caught.value.message


def test_t_plus_one_uses_the_utc8_calendar_day() -> None:
    late = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)  # already 2 May, 01:00 in UTC+8
    assert cancel_deadline(method("GCASH"), late) == datetime(
        2024, 5, 3, 0, 15, tzinfo=timezone(timedelta(hours=8))
    )


def test_card_cancel_seven_days_and_never_after_capture() -> None:
    card = method("CARD")
    check_cancellable(card, paid_at=PAID, captured=False, now=PAID + timedelta(days=6))
    with pytest.raises(DomainError) as caught:
        check_cancellable(card, paid_at=PAID, captured=False, now=PAID + timedelta(days=7))
    assert caught.value.code == "CANCEL_WINDOW_EXCEED"
    with pytest.raises(DomainError) as caught:
        check_cancellable(card, paid_at=PAID, captured=True, now=PAID)
    assert caught.value.code == "ORDER_STATUS_INVALID"


def test_refund_window_and_partial_refunds() -> None:
    gcash = method("GCASH")
    check_refundable(gcash, paid_at=PAID, now=PAID + timedelta(days=365), partial=True)
    with pytest.raises(DomainError) as caught:
        check_refundable(gcash, paid_at=PAID, now=PAID + timedelta(days=366), partial=False)
    assert caught.value.code == "REFUND_WINDOW_EXCEED"
    check_refundable(method("AU"), paid_at=PAID, now=PAID, partial=False)
    with pytest.raises(DomainError) as caught:
        check_refundable(method("AU"), paid_at=PAID, now=PAID, partial=True)
    assert caught.value.code == "PARTIAL_REFUND_NOT_SUPPORTED"


# --- the committed doc ----------------------------------------------------------------


def test_docs_contain_the_current_method_table() -> None:
    doc = (REPO / "docs" / "payment-methods.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate the table in docs/payment-methods.md"


def test_markdown_table_has_a_row_per_method() -> None:
    rows = markdown_table().strip().splitlines()[2:]
    assert len(rows) == len(DEFAULT_CATALOGUE)
    alipay_hk = "| `ALIPAY_HK` | AlipayHK | WALLET | HK | HKD | 14 min | min HKD 0.01 |"
    assert alipay_hk in rows
