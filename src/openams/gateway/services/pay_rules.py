"""Turn a parsed pay request into a validated command, or refuse it with a clear result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from openams.gateway.domain.alipaycn import SETTLEMENT_CURRENCIES, check_alipaycn
from openams.gateway.domain.clock import ms_delta, parse_datetime, to_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.payment import Fingerprint
from openams.gateway.domain.payment_methods import (
    PaymentMethodSpec,
    check_payable,
    supports_authorization,
)
from openams.gateway.domain.ports import PaymentMethodCatalogue
from openams.gateway.domain.transactions import CaptureMode
from openams.gateway.services.cards import CARD, META_DATA, CardCharge, has_card_data, read_card
from openams.protocol.models import Amount, Env, Order, PayRequest
from openams.protocol.money import AmountError, Money, is_currency

CASHIER_PAYMENT = "CASHIER_PAYMENT"
IN_STORE_PAYMENT = "IN_STORE_PAYMENT"
SUPPORTED_PRODUCTS = (CASHIER_PAYMENT, IN_STORE_PAYMENT)
KNOWN_PRODUCTS = (*SUPPORTED_PRODUCTS, "AGREEMENT_PAYMENT")
TERMINAL_TYPES = ("WEB", "WAP", "APP", "MINI_APP")
OS_TYPES = ("IOS", "ANDROID")
ENTRY_CODE = "EntryCode"
ORDER_CODE = "OrderCode"
PAYMENT_CODE = "PaymentCode"
IN_STORE_SCENARIOS = (ENTRY_CODE, ORDER_CODE, PAYMENT_CODE)
#: In-store entry-code and order-code payments close quickly; Antom's pages cite 3 minutes.
IN_STORE_EXPIRY = timedelta(minutes=3)
#: User-presented (payment code) payments: Antom's page cites 10 minutes.
PAYMENT_CODE_EXPIRY = timedelta(minutes=10)
#: Every AlipayCN settlement currency (spec §8.3); sandbox merchants are contracted for all.


@dataclass(frozen=True, slots=True)
class PayCommand:
    request: PayRequest
    money: Money
    method: PaymentMethodSpec
    terminal_type: str | None
    os_type: str | None
    expires_at: int
    fingerprint: Fingerprint
    #: server-to-server card data, checked (never the number or CVV)
    card: CardCharge | None = None
    #: a saved cardToken sent as paymentMethodId (CARD)
    card_token: str | None = None
    is_authorization: bool = False
    capture_mode: str | None = None
    #: the in-store scenario (EntryCode, OrderCode, PaymentCode) of an IN_STORE_PAYMENT
    scenario: str | None = None


def in_store_scenario(request: dict[str, object]) -> str | None:
    """The ``inStorePaymentScenario`` of a stored pay request, if any."""
    factor = request.get("paymentFactor")
    value = factor.get("inStorePaymentScenario") if isinstance(factor, dict) else None
    return value if isinstance(value, str) else None


def parse_money(amount: Amount | None, field: str) -> Money:
    if amount is None:
        raise param_illegal(f"{field} is required")
    try:
        return Money.parse(amount.currency, amount.value)
    except AmountError as exc:
        raise param_illegal(f"{field}: {exc}") from None


def blank(value: str | None) -> bool:
    return value is None or not value.strip()


def effective_env(request_env: Env | None, order: Order | None) -> Env | None:
    """Top-level ``env`` wins; AlipayCN's sample sends it inside ``order`` only."""
    if request_env is not None:
        return request_env
    return order.env if order is not None else None


def check_product(product_code: str) -> None:
    if product_code not in KNOWN_PRODUCTS:
        raise param_illegal(
            f"productCode {product_code!r} is not one of {', '.join(KNOWN_PRODUCTS)}"
        )
    if product_code not in SUPPORTED_PRODUCTS:
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            f"productCode {product_code} is not supported by this gateway yet; "
            f"use {' or '.join(SUPPORTED_PRODUCTS)}",
        )


def check_env(env: Env | None, product_code: str) -> tuple[str | None, str | None]:
    terminal = env.terminal_type if env else None
    os_type = env.os_type if env else None
    if product_code == CASHIER_PAYMENT and blank(terminal):
        raise param_illegal("env.terminalType is required for CASHIER_PAYMENT (WEB, WAP or APP)")
    if terminal is not None and terminal not in TERMINAL_TYPES:
        raise param_illegal(f"env.terminalType {terminal!r} is not one of {TERMINAL_TYPES}")
    if not blank(os_type) and os_type not in OS_TYPES:
        raise param_illegal(f"env.osType {os_type!r} is not one of {OS_TYPES}")
    return terminal, (os_type or None)


def check_order(order: Order, product_code: str) -> None:
    if product_code == CASHIER_PAYMENT and blank(order.reference_order_id):
        raise param_illegal("order.referenceOrderId is required")
    if blank(order.order_description):
        raise param_illegal("order.orderDescription is required")
    parse_money(order.order_amount, "order.orderAmount")


def check_urls(request: PayRequest) -> None:
    if request.product_code == CASHIER_PAYMENT and blank(request.payment_redirect_url):
        raise param_illegal("paymentRedirectUrl is required for CASHIER_PAYMENT")
    for name, url in (
        ("paymentRedirectUrl", request.payment_redirect_url),
        ("paymentNotifyUrl", request.payment_notify_url),
    ):
        if not blank(url) and "://" not in str(url):
            raise param_illegal(f"{name} {url!r} is not an absolute URL")
    if not blank(request.payment_notify_url):
        check_notify_url("paymentNotifyUrl", str(request.payment_notify_url))


def notify_url_problem(url: str) -> str | None:
    """Why the gateway cannot deliver to ``url``, or None: a notify URL is an absolute
    http or https URL with a host (``file://``, ``gopher://``, ``ftp://`` are refused)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return f"{url[:100]!r} is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{url[:100]!r} is not an http or https URL"
    if not parts.hostname:
        return f"{url[:100]!r} has no host"
    return None


def check_notify_url(name: str, url: str) -> None:
    """PARAM_ILLEGAL naming the field when ``url`` cannot be notified."""
    problem = notify_url_problem(url)
    if problem is not None:
        raise param_illegal(f"{name} {problem}")


def check_settlement(request: PayRequest, money: Money, method: PaymentMethodSpec) -> str | None:
    settlement = (
        request.settlement_strategy.settlement_currency if (request.settlement_strategy) else None
    )
    if not blank(settlement) and not is_currency(str(settlement)):
        raise param_illegal(
            f"settlementStrategy.settlementCurrency {settlement!r} is not an ISO 4217 code"
        )
    if method.type == "ALIPAY_CN":
        check_alipaycn(
            money.currency,
            settlement or None,
            request.order.extend_info,
            # Sandbox merchants are contracted for every AlipayCN settlement currency.
            contracted_settlement_currencies=SETTLEMENT_CURRENCIES,
        )
    return settlement or None


def _require(value: str | None, name: str, scenario: str) -> None:
    if blank(value):
        raise param_illegal(f"{name} is required for inStorePaymentScenario {scenario}")


def check_in_store(request: PayRequest) -> str:
    """The scenario of an IN_STORE_PAYMENT and the fields the official SDKs' request
    classes require for it (OrderCodePaymentRequest, UserPresentedCodePaymentRequest).
    EntryCode keeps the looser rules its seed sample needs (docs/decisions.md)."""
    factor = request.payment_factor
    scenario = factor.in_store_payment_scenario if factor else None
    if blank(scenario):
        raise param_illegal(
            "paymentFactor.inStorePaymentScenario is required for IN_STORE_PAYMENT "
            f"({', '.join(IN_STORE_SCENARIOS)})"
        )
    if scenario not in IN_STORE_SCENARIOS:
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            f"paymentFactor.inStorePaymentScenario {scenario!r} is not one of "
            f"{', '.join(IN_STORE_SCENARIOS)}",
        )
    assert scenario is not None
    if scenario == ENTRY_CODE:
        return scenario
    merchant = request.order.merchant
    if merchant is None:
        raise param_illegal(f"order.merchant is required for inStorePaymentScenario {scenario}")
    _require(merchant.reference_merchant_id, "order.merchant.referenceMerchantId", scenario)
    _require(merchant.merchant_mcc, "order.merchant.merchantMCC", scenario)
    _require(merchant.merchant_name, "order.merchant.merchantName", scenario)
    store = merchant.store
    if store is None:
        raise param_illegal(
            f"order.merchant.store is required for inStorePaymentScenario {scenario}"
        )
    _require(store.reference_store_id, "order.merchant.store.referenceStoreId", scenario)
    _require(store.store_name, "order.merchant.store.storeName", scenario)
    _require(store.store_mcc, "order.merchant.store.storeMCC", scenario)
    if scenario == PAYMENT_CODE:
        envs = [env for env in (request.order.env, request.env) if env is not None]
        terminal_id = next((e.store_terminal_id for e in envs if e.store_terminal_id), None)
        sent_at = next(
            (e.store_terminal_request_time for e in envs if e.store_terminal_request_time), None
        )
        _require(terminal_id, "order.env.storeTerminalId", scenario)
        _require(sent_at, "order.env.storeTerminalRequestTime", scenario)
        if blank(request.payment_method.payment_method_id):
            raise param_illegal(
                "paymentMethod.paymentMethodId (the buyer's payment code) is required for "
                "inStorePaymentScenario PaymentCode"
            )
    return scenario


def check_factor(request: PayRequest) -> str | None:
    """The in-store scenario (None for other products), after the paymentFactor checks."""
    factor = request.payment_factor
    scenario = check_in_store(request) if request.product_code == IN_STORE_PAYMENT else None
    if factor and factor.store_payment_method_for_buyer:
        buyer = request.order.buyer
        if buyer is None or blank(buyer.reference_buyer_id):
            raise param_illegal(
                "paymentFactor.storePaymentMethodForBuyer requires order.buyer.referenceBuyerId"
            )
    return scenario


def check_card_data(
    request: PayRequest, method: PaymentMethodSpec, money: Money, now_ms: int
) -> tuple[CardCharge | None, str | None]:
    """Server-to-server card data, or a cardToken as paymentMethodId (CARD only)."""
    meta = request.payment_method.payment_method_meta_data
    method_id = request.payment_method.payment_method_id
    if not has_card_data(meta):
        token = method_id if method.type == CARD and not blank(method_id) else None
        return None, token
    assert meta is not None
    if method.type != CARD:
        raise DomainError(
            META_DATA,
            "card data (paymentMethodMetaData.cardNo, cvv) is for paymentMethodType CARD, "
            f"not {method.type}",
        )
    if not blank(method_id):
        raise param_illegal(
            "send the card either as paymentMethodMetaData (cardNo, cvv, ...) or as a saved "
            "cardToken in paymentMethod.paymentMethodId, not both"
        )
    return read_card(meta, now_ms=now_ms, amount_value=money.value), None


def check_authorization(request: PayRequest, method: PaymentMethodSpec) -> tuple[bool, str | None]:
    """``paymentFactor.isAuthorization`` and ``captureMode`` (default AUTOMATIC)."""
    factor = request.payment_factor
    authorize = bool(factor and factor.is_authorization)
    mode = factor.capture_mode if factor and not blank(factor.capture_mode) else None
    modes = tuple(m.value for m in CaptureMode)
    if mode is not None and mode not in modes:
        raise param_illegal(f"paymentFactor.captureMode {mode!r} is not one of {', '.join(modes)}")
    if not authorize:
        if mode == CaptureMode.MANUAL.value:
            raise param_illegal(
                "paymentFactor.captureMode MANUAL needs paymentFactor.isAuthorization=true"
            )
        return False, None
    if not supports_authorization(method):
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            f"paymentFactor.isAuthorization is for card payments; {method.type} payments are "
            "captured when the buyer pays (omit isAuthorization)",
        )
    return True, mode or CaptureMode.AUTOMATIC.value


def expiry(request_value: str | None, now_ms: int, default: timedelta) -> int:
    """``paymentExpiryTime`` must lie in the future and within the method's default window."""
    latest = now_ms + ms_delta(default)
    if blank(request_value):
        return latest
    try:
        requested = to_ms(parse_datetime(str(request_value)))
    except ValueError as exc:
        raise param_illegal(
            f"paymentExpiryTime {request_value!r} is not ISO-8601 with an offset: {exc}"
        ) from None
    if requested <= now_ms:
        raise param_illegal("paymentExpiryTime must be in the future")
    if requested > latest:
        raise param_illegal(
            f"paymentExpiryTime is too late: at most {default} after the request for this method"
        )
    return requested


def validate_pay(request: PayRequest, catalogue: PaymentMethodCatalogue, now_ms: int) -> PayCommand:
    check_product(request.product_code)
    if blank(request.payment_request_id):
        raise param_illegal("paymentRequestId is required")
    money = parse_money(request.payment_amount, "paymentAmount")
    method_type = request.payment_method.payment_method_type
    method = catalogue.get(method_type)
    if method is None:
        raise param_illegal(
            f"paymentMethod.paymentMethodType {method_type!r} is not a payment method this "
            "gateway knows; call consult for the available ones"
        )
    check_order(request.order, request.product_code)
    terminal, os_type = check_env(effective_env(request.env, request.order), request.product_code)
    check_urls(request)
    scenario = check_factor(request)
    check_payable(method, money, terminal_type=terminal, product_code=request.product_code)
    settlement = check_settlement(request, money, method)
    authorize, capture_mode = check_authorization(request, method)
    card, card_token = check_card_data(request, method, money, now_ms)
    default = method.default_expiry
    if request.product_code == IN_STORE_PAYMENT:
        default = PAYMENT_CODE_EXPIRY if scenario == PAYMENT_CODE else IN_STORE_EXPIRY
    fingerprint = Fingerprint(
        product_code=request.product_code,
        currency=money.currency,
        value=money.value,
        method_type=method.type,
        method_id=request.payment_method.payment_method_id or None,
        settlement_currency=settlement,
    )
    return PayCommand(
        request=request,
        money=money,
        method=method,
        terminal_type=terminal,
        os_type=os_type,
        expires_at=expiry(request.payment_expiry_time, now_ms, default),
        fingerprint=fingerprint,
        card=card,
        card_token=card_token,
        is_authorization=authorize,
        capture_mode=capture_mode,
        scenario=scenario,
    )
