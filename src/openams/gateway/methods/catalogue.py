"""The payment methods this gateway offers (spec §7), and consult over them (spec §3.7).

Decisions behind the data (currencies inferred from the region, enum spellings not
confirmed by a source, invented app identifiers) are recorded in
docs/payment-methods.md; its method table is :func:`markdown_table`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openams.gateway.domain import alipaycn
from openams.gateway.domain.cards import ACCEPTED_BRANDS, BRAND_LOGO_NAMES, CARD_FUNDING
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.payment_methods import (
    GLOBAL_REGION,
    SIMULATED_APP_PREFIX,
    CancelWindow,
    MethodCategory,
    PaymentMethodSpec,
    amount_error,
    currency_error,
)
from openams.protocol.money import Money

# --- data -------------------------------------------------------------------------

_5M = timedelta(minutes=5)
_14M = timedelta(minutes=14)
_15M = timedelta(minutes=15)
_1H = timedelta(hours=1)
_48H = timedelta(hours=48)
_7D = timedelta(days=7)
# In-store codes close after 3 minutes (zh-CN order/entry code pages, spec §3.1.2).
_IN_STORE = timedelta(minutes=3)

_ALL_TERMINALS = frozenset({"WEB", "WAP", "APP", "MINI_APP"})
#: A sandbox test wallet that allows one refund per payment (MULTIPLE_REFUNDS_NOT_SUPPORTED).
TEST_ONE_REFUND_METHOD = "SANDBOX_TEST_ONE_REFUND"
_NO_CANCEL = CancelWindow.NEVER

#: Card (and card-backed wallet) currencies: a broad list of major currencies.
_CARD_CURRENCIES = (
    "USD EUR GBP HKD SGD JPY AUD CAD CNY KRW NZD CHF SEK DKK NOK PLN "
    "MYR THB PHP IDR TWD INR BRL MXN CLP PEN"
)
#: What an Alipay+ in-store merchant may charge in (its own currency).
_IN_STORE_CURRENCIES = "USD EUR GBP HKD SGD JPY AUD CAD CNY KRW NZD MYR THB PHP IDR TWD MOP"

_W = MethodCategory.WALLET
_CARD = MethodCategory.CARD
_OB = MethodCategory.ONLINE_BANKING
_BT = MethodCategory.BANK_TRANSFER
_APLUS = MethodCategory.ALIPAY_PLUS
_MBA = MethodCategory.MOBILE_BANKING_APP
_OTC = MethodCategory.OTC
_VA = MethodCategory.VA
_BNPL = MethodCategory.BNPL
_RTP = MethodCategory.REAL_TIME_PAYMENT
_CARRIER = MethodCategory.CARRIER_BILLING


def _method(
    type_: str,
    name: str,
    category: MethodCategory,
    regions: str,
    currencies: str,
    expiry: timedelta = _14M,
    **options: Any,
) -> PaymentMethodSpec:
    return PaymentMethodSpec(
        type=type_,
        name=name,
        category=category,
        regions=tuple(regions.split()),
        currencies=tuple(currencies.split()),
        default_expiry=expiry,
        **options,
    )


def _app(
    type_: str,
    name: str,
    category: MethodCategory,
    regions: str,
    currencies: str,
    expiry: timedelta = _14M,
    **options: Any,
) -> PaymentMethodSpec:
    """A method the buyer pays in its own app; unless documented, the app id is ours."""
    options.setdefault("app_identifier", f"{SIMULATED_APP_PREFIX}{type_.lower()}")
    return _method(type_, name, category, regions, currencies, expiry, **options)


def _alipay_plus_wallet(
    type_: str, name: str, regions: str, currencies: str, **options: Any
) -> PaymentMethodSpec:
    """Wallets in the SDK's ``WalletPaymentMethodType``: also served inside mini apps."""
    options.setdefault("terminals", _ALL_TERMINALS)
    return _app(type_, name, _W, regions, currencies, **options)


_METHODS: tuple[PaymentMethodSpec, ...] = (
    # Global
    _method("CARD", "Card", _CARD, GLOBAL_REGION, _CARD_CURRENCIES, _7D,
            cancel_window=CancelWindow.SEVEN_DAYS_UNCAPTURED),
    _method("APPLEPAY", "Apple Pay", _W, GLOBAL_REGION, _CARD_CURRENCIES,
            cancel_window=CancelWindow.SEVEN_DAYS_UNCAPTURED, os_types=frozenset({"IOS"})),
    _method("GOOGLEPAY", "Google Pay", _W, GLOBAL_REGION, _CARD_CURRENCIES,
            cancel_window=CancelWindow.SEVEN_DAYS_UNCAPTURED),
    _method("CONNECT_WALLET", "Alipay+ Connect Wallet", _APLUS, GLOBAL_REGION,
            _IN_STORE_CURRENCIES, _IN_STORE, terminals=_ALL_TERMINALS,
            products=frozenset({"IN_STORE_PAYMENT"}), logo_name="Alipay+"),
    # Europe
    _method("EPS", "EPS", _OB, "AT", "EUR"),
    _method("BANCONTACT", "Bancontact", _OB, "BE", "EUR"),
    _method("IDEAL", "iDEAL", _OB, "NL", "EUR"),
    _method("BANCOMATPAY", "BANCOMAT Pay", _OB, "IT", "EUR", _1H),
    _app("SATISPAY", "Satispay", _W, "IT", "EUR"),
    _app("TINABA", "Tinaba", _W, "IT", "EUR"),
    _method("BLIK", "BLIK", _RTP, "PL", "PLN"),
    # Latin America
    _method("PIX", "Pix", _RTP, "BR", "BRL"),
    _app("MERCADOPAGO_BR", "Mercado Pago", _W, "BR", "BRL", _7D,
         cancel_window=CancelWindow.SEVEN_DAYS),
    _app("MERCADOPAGO_CL", "Mercado Pago", _W, "CL", "CLP", _7D,
         cancel_window=CancelWindow.SEVEN_DAYS),
    _app("MERCADOPAGO_MX", "Mercado Pago", _W, "MX", "MXN", _7D,
         cancel_window=CancelWindow.SEVEN_DAYS),
    _app("MERCADOPAGO_PE", "Mercado Pago", _W, "PE", "PEN", _7D,
         cancel_window=CancelWindow.SEVEN_DAYS),
    _app("PICPAY", "PicPay", _W, "BR", "BRL"),
    _app("PAGALEVE", "Pagaleve", _BNPL, "BR", "BRL"),
    # Mainland China, Hong Kong, Macau, Taiwan
    _alipay_plus_wallet("ALIPAY_CN", "Alipay", "CN", " ".join(alipaycn.PAYMENT_CURRENCIES),
                        min_amount={"CNY": 10}),
    _app("WECHATPAY", "WeChat Pay", _W, "CN", "CNY"),
    _alipay_plus_wallet("ALIPAY_HK", "AlipayHK", "HK", "HKD", min_amount={"HKD": 1},
                        app_identifier="hk.alipay.wallet"),
    _app("OCTOPUS", "Octopus", _W, "HK", "HKD", minor_value_multiple={"HKD": 10}),
    _app("PAYME", "PayMe", _W, "HK", "HKD"),
    _app("WECHATPAY_HK", "WeChat Pay HK", _W, "HK", "HKD", logo_name="WeChatPay HK"),
    _app("MPAY", "MPay", _W, "MO", "MOP"),
    _app("JKOPAY", "JKOPAY", _W, "TW", "TWD", min_amount={"TWD": 100},
         minor_value_multiple={"TWD": 100}, cancel_window=_NO_CANCEL),
    # South and South-East Asia
    _method("UPI", "UPI", _RTP, "IN", "INR"),
    _method("ONLINEBANKING_NETBANKING", "Netbanking", _OB, "IN", "INR"),
    _alipay_plus_wallet("DANA", "DANA", "ID", "IDR", min_amount={"IDR": 30000},
                        cancel_window=_NO_CANCEL),
    _app("OVO", "OVO", _W, "ID", "IDR", cancel_window=_NO_CANCEL),
    _app("GOPAY_ID", "GoPay", _W, "ID", "IDR", cancel_window=_NO_CANCEL),
    _app("SHOPEEPAY_ID", "ShopeePay", _W, "ID", "IDR", cancel_window=_NO_CANCEL),
    _app("LINKAJA", "LinkAja", _W, "ID", "IDR", _5M, cancel_window=_NO_CANCEL),
    _method("QRIS", "QRIS", _RTP, "ID", "IDR", cancel_window=_NO_CANCEL),
    _app("KREDIVO_ID", "Kredivo", _BNPL, "ID", "IDR", cancel_window=_NO_CANCEL),
    _app("AKULAKU_PAYLATER_ID", "Akulaku PayLater", _BNPL, "ID", "IDR",
         min_amount={"IDR": 30000}, max_amount={"IDR": 2_500_000_000},
         cancel_window=_NO_CANCEL, logo_name="Akulaku"),
    _method("BCABANK_VA", "BCA Virtual Account", _VA, "ID", "IDR", _48H,
            cancel_window=_NO_CANCEL, logo_name="BCA VA"),
    _method("BANKTRANSFER_MAYBANK", "Maybank Bank Transfer", _BT, "ID", "IDR", _48H,
            cancel_window=_NO_CANCEL, logo_name="Maybank"),
    _app("BOOST", "Boost", _W, "MY", "MYR"),
    _alipay_plus_wallet("TNG", "Touch 'n Go eWallet", "MY", "MYR", min_amount={"MYR": 5},
                        logo_name="TNG eWallet"),
    _app("GRABPAY_MY", "GrabPay", _W, "MY", "MYR"),
    _app("SHOPEEPAY_MY", "ShopeePay", _W, "MY", "MYR"),
    _method("ONLINEBANKING_FPX", "FPX", _OB, "MY", "MYR"),
    _method("PAYNOW", "PayNow", _RTP, "SG", "SGD"),
    # In the official SDKs' WalletPaymentMethodType. The SDKs' createPaymentSession samples
    # (Go, .NET) preselect SHOPEEPAY_SG for an HKD amount, so it takes HKD too.
    _app("GRABPAY_SG", "GrabPay", _W, "SG", "SGD"),
    _app("SHOPEEPAY_SG", "ShopeePay", _W, "SG", "SGD HKD"),
    _alipay_plus_wallet("GCASH", "GCash", "PH", "PHP", min_amount={"PHP": 100},
                        max_amount={"PHP": 10_000_000}),
    _app("MAYA", "Maya", _W, "PH", "PHP"),
    _app("BPI", "BPI", _MBA, "PH", "PHP"),
    _app("BILLEASE", "BillEase", _BNPL, "PH", "PHP"),
    _app("GRABPAY_PH", "GrabPay", _W, "PH", "PHP"),
    _app("SHOPEEPAY_PH", "ShopeePay", _W, "PH", "PHP"),
    _app("AKULAKU_PAYLATER_PH", "Akulaku PayLater", _BNPL, "PH", "PHP", logo_name="Akulaku"),
    _alipay_plus_wallet("TRUEMONEY", "TrueMoney", "TH", "THB", min_amount={"THB": 100},
                        max_amount={"THB": 3_000_000}),
    _app("RABBIT_LINE_PAY", "Rabbit LINE Pay", _W, "TH", "THB", logo_name="LINE Pay"),
    _app("KPLUS", "K PLUS", _MBA, "TH", "THB", cancel_window=CancelWindow.BEFORE_PAYMENT),
    _method("PROMPTPAY", "PromptPay", _RTP, "TH", "THB",
            cancel_window=CancelWindow.BEFORE_PAYMENT),
    _app("ZALOPAY", "ZaloPay", _W, "VN", "VND"),
    _app("MOMO", "MoMo", _W, "VN", "VND"),
    _method("VIETQR", "VietQR", _RTP, "VN", "VND", _15M),
    _alipay_plus_wallet("BKASH", "bKash", "BD", "BDT"),
    _alipay_plus_wallet("EASYPAISA", "Easypaisa", "PK", "PKR"),
    # Japan
    _app("PAYPAY", "PayPay", _W, "JP", "JPY"),
    _app("AUPAY", "au PAY", _W, "JP", "JPY"),
    _app("FAMIPAY", "FamiPay", _W, "JP", "JPY"),
    _app("MERPAY", "Merpay", _W, "JP", "JPY"),
    _app("D_BARAI_PAY", "d Barai", _W, "JP", "JPY"),
    _app("RAKUTEN_PAY", "Rakuten Pay", _W, "JP", "JPY"),
    _app("PAIDY", "Paidy", _BNPL, "JP", "JPY"),
    # Antom's Konbini and Konbini (7-Eleven) pages: no refund, no partial refund
    _method("KONBINI", "Konbini", _OTC, "JP", "JPY", _7D, supports_refund=False),
    _method("SEVENELEVEN", "7-Eleven", _OTC, "JP", "JPY", _7D, supports_refund=False),
    _method("ONLINEBANKING_PAYEASY", "Pay-easy", _OB, "JP", "JPY", _7D),
    _method("AU", "au Carrier Billing", _CARRIER, "JP", "JPY", supports_partial_refund=False,
            logo_name="au"),
    _method("SOFTBANK", "SoftBank Carrier Billing", _CARRIER, "JP", "JPY",
            supports_partial_refund=False, logo_name="SoftBank"),
    # East Asia and Mongolia
    _alipay_plus_wallet("KAKAOPAY", "Kakao Pay", "KR", "KRW", min_amount={"KRW": 50}),
    _app("NAVERPAY", "NAVER Pay", _W, "KR", "KRW"),
    _app("TOSSPAY", "Toss Pay", _W, "KR", "KRW"),
    _app("HIPAY", "HiPay", _W, "MN", "MNT"),
    # Sandbox test method (not an Antom method): no documented method allows one refund
    # only, so this one plays MULTIPLE_REFUNDS_NOT_SUPPORTED (docs/sandbox.md).
    _method(TEST_ONE_REFUND_METHOD, "One-refund test wallet", _W, "HK", "HKD", max_refunds=1,
            logo_name="One refund"),
)  # fmt: skip


# --- catalogue and consult ----------------------------------------------------------

CHANNEL_NOT_SUPPORT_CURRENCY = "CHANNEL_NOT_SUPPORT_CURRENCY"
#: Card brand logos, under the method logos' directory.
CARD_BRAND_LOGO_DIR = "brands"
EXCEED_CHANNEL_LIMIT_RULE = "EXCEED_CHANNEL_LIMIT_RULE"

_CATEGORY_ORDER = {category: index for index, category in enumerate(MethodCategory)}


@dataclass(frozen=True, slots=True)
class ConsultOption:
    """One consult ``paymentOptions[]`` entry before it is put on the wire."""

    spec: PaymentMethodSpec
    enabled: bool
    disable_reason: str | None
    preferred: bool


def _sort_key(option: ConsultOption) -> tuple[bool, int, str]:
    return (not option.preferred, _CATEGORY_ORDER[option.spec.category], option.spec.type)


@dataclass(frozen=True, slots=True)
class _ConsultFilter:
    product_code: str
    terminal: str | None
    os_type: str | None
    regions: frozenset[str]
    allowed: frozenset[str]
    blocked: frozenset[str]

    def admits(self, spec: PaymentMethodSpec) -> bool:
        if spec.type in self.blocked or (self.allowed and spec.type not in self.allowed):
            return False
        if self.product_code not in spec.products:
            return False
        if self.terminal is not None and self.terminal not in spec.terminals:
            return False
        if self.os_type is not None and spec.os_types and self.os_type not in spec.os_types:
            return False
        return self._region_admits(spec)

    def _region_admits(self, spec: PaymentMethodSpec) -> bool:
        if not self.regions or GLOBAL_REGION in self.regions or spec.is_global:
            return True
        return not self.regions.isdisjoint(spec.regions)


class Catalogue:
    """Payment methods by ``paymentMethodType``."""

    def __init__(self, specs: Iterable[PaymentMethodSpec]) -> None:
        self._specs: dict[str, PaymentMethodSpec] = {}
        for spec in specs:
            if spec.type in self._specs:
                raise ValueError(f"payment method {spec.type} is listed twice")
            self._specs[spec.type] = spec

    def get(self, type: str) -> PaymentMethodSpec | None:
        return self._specs.get(type)

    def require(self, method_type: str) -> PaymentMethodSpec:
        """The method, or ``PARAM_ILLEGAL`` naming the unknown type."""
        spec = self._specs.get(method_type)
        if spec is None:
            raise DomainError(
                "PARAM_ILLEGAL",
                f"paymentMethod.paymentMethodType {method_type[:64]!r} is not a payment "
                "method this gateway offers; call consult for the list",
            )
        return spec

    def __iter__(self) -> Iterator[PaymentMethodSpec]:
        return iter(self._specs.values())

    def __contains__(self, method_type: object) -> bool:
        return method_type in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def consult(
        self,
        *,
        money: Money,
        terminal_type: str | None,
        os_type: str | None,
        product_code: str,
        allowed_regions: Sequence[str] | None,
        allowed_methods: Sequence[str] | None,
        blocked_methods: Sequence[str] | None,
        user_region: str | None,
    ) -> list[ConsultOption]:
        """The methods a buyer could use for ``money``, sorted preferred, category, type.

        Omitted: methods not offered for the product, terminal or OS, blocked ones, ones
        outside ``allowed_methods`` or ``allowed_regions`` (when given; ``GLOBAL`` there
        allows every region, and a GLOBAL method passes any region filter), and ones
        that do not take the currency unless ``allowed_methods`` names them, in which
        case they come back disabled with ``CHANNEL_NOT_SUPPORT_CURRENCY``. Amounts
        outside the method's limits come back disabled with ``EXCEED_CHANNEL_LIMIT_RULE``.
        A method whose region is ``user_region`` is ``preferred``.
        """
        request = _ConsultFilter(
            product_code=product_code,
            terminal=terminal_type.upper() if terminal_type else None,
            os_type=os_type.upper() if os_type else None,
            regions=frozenset(r.upper() for r in allowed_regions or () if r),
            allowed=frozenset(allowed_methods or ()),
            blocked=frozenset(blocked_methods or ()),
        )
        buyer_region = user_region.upper() if user_region else None
        options: list[ConsultOption] = []
        for spec in self:
            if not request.admits(spec):
                continue
            named = spec.type in request.allowed
            option = _option(spec, money, named=named, user_region=buyer_region)
            if option is not None:
                options.append(option)
        return sorted(options, key=_sort_key)


def _option(
    spec: PaymentMethodSpec, money: Money, *, named: bool, user_region: str | None
) -> ConsultOption | None:
    preferred = user_region is not None and user_region in spec.regions
    if currency_error(spec, money.currency) is not None:
        if not named:
            return None
        return ConsultOption(spec, False, CHANNEL_NOT_SUPPORT_CURRENCY, preferred)
    if amount_error(spec, money) is not None:
        return ConsultOption(spec, False, EXCEED_CHANNEL_LIMIT_RULE, preferred)
    return ConsultOption(spec, True, None, preferred)


def to_payment_option_wire(option: ConsultOption, logo_base_url: str) -> dict[str, Any]:
    """The consult ``paymentOptions[]`` item (spec §3.7); ``logo_base_url`` has no ``/``."""
    spec = option.spec
    item: dict[str, Any] = {
        "paymentMethodType": spec.type,
        "paymentMethodCategory": spec.category.wire,
        "paymentMethodRegion": list(spec.regions),
        "enabled": option.enabled,
        "preferred": option.preferred,
    }
    if not option.enabled and option.disable_reason:
        item["disableReason"] = option.disable_reason
    item["supportedCurrencies"] = list(spec.currencies)
    base = logo_base_url.rstrip("/")
    item["logo"] = {"logoName": spec.logo_name, "logoUrl": f"{base}/{spec.type}.svg"}
    if spec.category is MethodCategory.CARD:
        item["paymentOptionDetail"] = card_option_detail(base)
    return item


def card_option_detail(logo_base_url: str) -> dict[str, Any]:
    """CARD's ``paymentOptionDetail``: the brands taken, each with its logo (SDK
    ``SupportCardBrand``: ``cardBrand`` + ``logo``), and the funding types taken."""
    return {
        "supportCardBrands": [
            {
                "cardBrand": brand,
                "logo": {
                    "logoName": BRAND_LOGO_NAMES[brand],
                    "logoUrl": f"{logo_base_url}/{CARD_BRAND_LOGO_DIR}/{brand}.svg",
                },
            }
            for brand in ACCEPTED_BRANDS
        ],
        "funding": list(CARD_FUNDING),
    }


DEFAULT_CATALOGUE = Catalogue(_METHODS)


# --- documentation ------------------------------------------------------------------


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 72 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _limits(spec: PaymentMethodSpec) -> str:
    parts = [f"min {Money(c, v)}" for c, v in spec.min_amount.items()]
    parts += [f"max {Money(c, v)}" for c, v in spec.max_amount.items()]
    parts += [f"steps of {Money(c, v)}" for c, v in spec.minor_value_multiple.items()]
    return "; ".join(parts) or "-"


def _category(spec: PaymentMethodSpec) -> str:
    category = spec.category
    return category.value if category.wire == category.value else f"{category} ({category.wire})"


def markdown_table(catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    """The method table of docs/payment-methods.md, one row per method, by type."""
    rows = [
        "| Type | Name | Category (wire) | Regions | Currencies | Default expiry | Limits |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in sorted(catalogue, key=lambda s: s.type):
        cells = (
            f"`{spec.type}`",
            spec.name,
            _category(spec),
            " ".join(spec.regions),
            " ".join(spec.currencies),
            _duration(spec.default_expiry),
            _limits(spec),
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
