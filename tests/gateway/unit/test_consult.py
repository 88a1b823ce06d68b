"""consult over the catalogue, and the paymentOptions[] wire items (spec §3.7)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from openams.gateway.domain.payment_methods import (
    MethodCategory,
    PaymentMethodSpec,
    check_payable,
)
from openams.gateway.methods.catalogue import (
    DEFAULT_CATALOGUE,
    ConsultOption,
    to_payment_option_wire,
)
from openams.protocol.money import Money

LOGO_BASE = "https://gw.example/static/logos"


def consult(
    money: Money,
    *,
    terminal_type: str | None = "WEB",
    os_type: str | None = None,
    product_code: str = "CASHIER_PAYMENT",
    allowed_regions: Sequence[str] | None = None,
    allowed_methods: Sequence[str] | None = None,
    blocked_methods: Sequence[str] | None = None,
    user_region: str | None = None,
) -> list[ConsultOption]:
    return DEFAULT_CATALOGUE.consult(
        money=money,
        terminal_type=terminal_type,
        os_type=os_type,
        product_code=product_code,
        allowed_regions=allowed_regions,
        allowed_methods=allowed_methods,
        blocked_methods=blocked_methods,
        user_region=user_region,
    )


def types(options: list[ConsultOption]) -> list[str]:
    return [option.spec.type for option in options]


def by_type(options: list[ConsultOption]) -> dict[str, ConsultOption]:
    return {option.spec.type: option for option in options}


HKD_100 = Money("HKD", 10000)


def test_hkd_offers_hong_kong_methods_and_cards_only() -> None:
    found = set(types(consult(HKD_100)))
    assert {"ALIPAY_HK", "OCTOPUS", "PAYME", "WECHATPAY_HK", "CARD", "ALIPAY_CN"} <= found
    assert "GCASH" not in found and "CONNECT_WALLET" not in found
    assert all(option.enabled for option in consult(HKD_100))


def test_only_methods_serving_the_product() -> None:
    assert types(
        consult(Money("USD", 10), terminal_type=None, product_code="IN_STORE_PAYMENT")
    ) == ["CONNECT_WALLET"]
    assert consult(HKD_100, product_code="AGREEMENT_PAYMENT") == []


def test_terminal_not_served_is_omitted() -> None:
    mini_app = set(types(consult(HKD_100, terminal_type="MINI_APP")))
    assert "ALIPAY_HK" in mini_app
    assert "OCTOPUS" not in mini_app and "CARD" not in mini_app


def test_os_type_filters_apple_pay() -> None:
    assert "APPLEPAY" in types(consult(HKD_100, terminal_type="WAP", os_type="IOS"))
    assert "APPLEPAY" not in types(consult(HKD_100, terminal_type="WAP", os_type="ANDROID"))
    assert "GOOGLEPAY" in types(consult(HKD_100, terminal_type="WAP", os_type="IOS"))


def test_allowed_methods() -> None:
    assert types(consult(HKD_100, allowed_methods=["OCTOPUS", "ALIPAY_HK"])) == [
        "ALIPAY_HK",
        "OCTOPUS",
    ]
    assert types(consult(HKD_100, allowed_methods=[])) == types(consult(HKD_100))
    assert consult(HKD_100, allowed_methods=["NO_SUCH_METHOD"]) == []


def test_blocked_methods_win() -> None:
    found = types(consult(HKD_100, allowed_methods=["ALIPAY_HK", "CARD"], blocked_methods=["CARD"]))
    assert found == ["ALIPAY_HK"]
    assert "OCTOPUS" not in types(consult(HKD_100, blocked_methods=["OCTOPUS"]))


def test_allowed_regions() -> None:
    found = set(types(consult(HKD_100, allowed_regions=["HK"])))
    assert {"ALIPAY_HK", "OCTOPUS", "CARD", "APPLEPAY"} <= found  # GLOBAL methods serve HK
    assert "ALIPAY_CN" not in found
    assert "ALIPAY_CN" in types(consult(HKD_100, allowed_regions=["hk", "CN"]))
    assert types(consult(HKD_100, allowed_regions=["GLOBAL"])) == types(consult(HKD_100))


def test_unsupported_currency_is_omitted_unless_named() -> None:
    assert "GCASH" not in types(consult(HKD_100))
    option = by_type(consult(HKD_100, allowed_methods=["GCASH", "ALIPAY_HK"]))["GCASH"]
    assert not option.enabled
    assert option.disable_reason == "CHANNEL_NOT_SUPPORT_CURRENCY"


def test_amount_above_max_is_disabled() -> None:
    options = by_type(consult(Money("THB", 3_000_001)))
    assert not options["TRUEMONEY"].enabled
    assert options["TRUEMONEY"].disable_reason == "EXCEED_CHANNEL_LIMIT_RULE"
    assert options["PROMPTPAY"].enabled
    assert by_type(consult(Money("THB", 3_000_000)))["TRUEMONEY"].enabled


def test_amount_below_min_or_off_step_is_disabled() -> None:
    assert by_type(consult(Money("PHP", 99)))["GCASH"].disable_reason == (
        "EXCEED_CHANNEL_LIMIT_RULE"
    )
    jkopay = by_type(consult(Money("TWD", 150)))["JKOPAY"]
    assert (jkopay.enabled, jkopay.disable_reason) == (False, "EXCEED_CHANNEL_LIMIT_RULE")


def test_preferred_follows_user_region_and_sorts_first() -> None:
    options = consult(Money("USD", 1000), user_region="cn")
    assert options[0].spec.type == "ALIPAY_CN"
    assert options[0].preferred
    assert [o.spec.type for o in options if o.preferred] == ["ALIPAY_CN"]
    assert not any(o.preferred for o in consult(Money("USD", 1000)))


def test_sorting_is_preferred_then_category_then_type() -> None:
    options = consult(HKD_100, user_region="HK")
    order = list(MethodCategory)
    keys = [(not o.preferred, order.index(o.spec.category), o.spec.type) for o in options]
    assert keys == sorted(keys)
    assert options == consult(HKD_100, user_region="HK")


@given(
    st.sampled_from(sorted({c for spec in DEFAULT_CATALOGUE for c in spec.currencies})),
    st.integers(1, 10**10),
    st.sampled_from(["WEB", "WAP", "APP", "MINI_APP"]),
    st.lists(st.sampled_from(sorted(s.type for s in DEFAULT_CATALOGUE)), max_size=5),
)
def test_consult_agrees_with_check_payable(
    currency: str, units: int, terminal: str, blocked: list[str]
) -> None:
    money = Money(currency, units * 100)
    options = consult(money, terminal_type=terminal, blocked_methods=blocked)
    assert not set(types(options)) & set(blocked)
    assert len(set(types(options))) == len(options)
    for option in options:
        assert currency in option.spec.currencies
        if option.enabled:
            check_payable(
                option.spec, money, terminal_type=terminal, product_code="CASHIER_PAYMENT"
            )


# --- wire --------------------------------------------------------------------------


def test_wire_item_for_an_enabled_option() -> None:
    option = by_type(consult(HKD_100, user_region="HK"))["ALIPAY_HK"]
    assert to_payment_option_wire(option, LOGO_BASE + "/") == {
        "paymentMethodType": "ALIPAY_HK",
        "paymentMethodCategory": "WALLET",
        "paymentMethodRegion": ["HK"],
        "enabled": True,
        "preferred": True,
        "supportedCurrencies": ["HKD"],
        "logo": {"logoName": "AlipayHK", "logoUrl": f"{LOGO_BASE}/ALIPAY_HK.svg"},
    }


def test_wire_item_for_a_disabled_option() -> None:
    option = by_type(consult(HKD_100, allowed_methods=["GCASH"]))["GCASH"]
    item = to_payment_option_wire(option, LOGO_BASE)
    assert item["enabled"] is False and item["preferred"] is False
    assert item["disableReason"] == "CHANNEL_NOT_SUPPORT_CURRENCY"


def test_wire_category_uses_documented_values() -> None:
    for spec in DEFAULT_CATALOGUE:
        item = to_payment_option_wire(ConsultOption(spec, True, None, False), LOGO_BASE)
        assert set(item) == {
            "paymentMethodType",
            "paymentMethodCategory",
            "paymentMethodRegion",
            "enabled",
            "preferred",
            "supportedCurrencies",
            "logo",
        } | ({"paymentOptionDetail"} if spec.type == "CARD" else set())
        assert item["paymentMethodCategory"] in {
            "ALIPAY_PLUS",
            "WALLET",
            "MOBILE_BANKING_APP",
            "BANK_TRANSFER",
            "ONLINE_BANKING",
            "CARD",
            "OTC",
            "VA",
        }
        assert len(item["logo"]["logoName"]) <= 12


def test_bnpl_goes_out_as_wallet() -> None:
    paidy: PaymentMethodSpec | None = DEFAULT_CATALOGUE.get("PAIDY")
    assert paidy is not None
    item = to_payment_option_wire(ConsultOption(paidy, True, None, False), LOGO_BASE)
    assert item["paymentMethodCategory"] == "WALLET"
