"""What a payment method is, and whether it can take a given payment.

A :class:`PaymentMethodSpec` describes one ``paymentMethodType`` (currencies, limits,
terminals, expiry, refund and cancel rules). The data lives in
``openams.gateway.methods.catalogue``; the rules that read it live here so the domain
can apply them without knowing where the data comes from.

Refusals (``DomainError.code``):

- ``CURRENCY_NOT_SUPPORT``: the method does not take the payment currency.
- ``BUSINESS_NOT_SUPPORT``: the method is not offered for the ``productCode``, or is
  never cancellable.
- ``PARAM_ILLEGAL``: unknown ``terminalType``, a terminal the method does not serve, an
  amount below the method minimum, or an amount that breaks the method's multiple.
- ``PAYMENT_AMOUNT_EXCEED_LIMIT``: an amount above the method maximum.
- ``CANCEL_WINDOW_EXCEED`` / ``ORDER_STATUS_INVALID``: cancel outside its window, or of
  a captured card payment.
- ``REFUND_NOT_SUPPORTED``, ``REFUND_WINDOW_EXCEED``, ``PARTIAL_REFUND_NOT_SUPPORTED``,
  ``MULTIPLE_REFUNDS_NOT_SUPPORTED``: a refund the method cannot take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType

from openams.gateway.domain.errors import DomainError
from openams.protocol.money import MINOR_VALUE_MULTIPLE, Money, is_currency

TERMINAL_TYPES: frozenset[str] = frozenset({"WEB", "WAP", "APP", "MINI_APP"})
OS_TYPES: frozenset[str] = frozenset({"IOS", "ANDROID"})
PRODUCT_CODES: frozenset[str] = frozenset({"CASHIER_PAYMENT", "IN_STORE_PAYMENT"})
GLOBAL_REGION = "GLOBAL"
LOGO_NAME_MAX = 12

#: Android packages under this prefix are invented for the simulated wallets; only
#: documented identifiers (``hk.alipay.wallet``) are used as they are.
SIMULATED_APP_PREFIX = "com.openams.sim."

_UTC8 = timezone(timedelta(hours=8))


class MethodCategory(StrEnum):
    """Our categories. :attr:`wire` is what consult's ``paymentMethodCategory`` carries."""

    WALLET = "WALLET"
    CARD = "CARD"
    ONLINE_BANKING = "ONLINE_BANKING"
    BANK_TRANSFER = "BANK_TRANSFER"
    ALIPAY_PLUS = "ALIPAY_PLUS"
    MOBILE_BANKING_APP = "MOBILE_BANKING_APP"
    OTC = "OTC"
    VA = "VA"
    BNPL = "BNPL"
    REAL_TIME_PAYMENT = "REAL_TIME_PAYMENT"
    CARRIER_BILLING = "CARRIER_BILLING"

    @property
    def wire(self) -> str:
        return _WIRE_CATEGORY.get(self, self.value)


# The documented consult enum (spec §3.7) is the wire contract: ALIPAY_PLUS, WALLET,
# MOBILE_BANKING_APP, BANK_TRANSFER, ONLINE_BANKING, CARD, OTC, VA. Our extra categories
# go out as the closest documented value: buy-now-pay-later and carrier billing are
# account logins with a redirect like a wallet; real-time schemes (PIX, UPI, QRIS,
# PromptPay) are paid from a banking app. Cash (konbini) is OTC already.
_WIRE_CATEGORY: dict[MethodCategory, str] = {
    MethodCategory.BNPL: MethodCategory.WALLET.value,
    MethodCategory.CARRIER_BILLING: MethodCategory.WALLET.value,
    MethodCategory.REAL_TIME_PAYMENT: MethodCategory.MOBILE_BANKING_APP.value,
}


class CancelWindow(StrEnum):
    """How long a payment stays cancellable (spec §3.3)."""

    NEVER = "NEVER"
    BEFORE_PAYMENT = "BEFORE_PAYMENT"
    SEVEN_DAYS_UNCAPTURED = "SEVEN_DAYS_UNCAPTURED"
    SEVEN_DAYS = "SEVEN_DAYS"
    T1_0015_UTC8 = "T1_0015_UTC8"


_CANCEL_RULES: dict[CancelWindow, str] = {
    CancelWindow.NEVER: "not cancellable",
    CancelWindow.BEFORE_PAYMENT: "cancellable only before the payment completes",
    CancelWindow.SEVEN_DAYS_UNCAPTURED: "cancellable up to 7 days after payment, never "
    "after capture",
    CancelWindow.SEVEN_DAYS: "cancellable up to 7 days after payment",
    CancelWindow.T1_0015_UTC8: "cancellable until 00:15 (UTC+8) of the day after payment",
}

DEFAULT_REFUND_WINDOW = timedelta(days=365)


def _frozen(mapping: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class PaymentMethodSpec:
    """One ``paymentMethodType`` and its rules; amounts are minor units per currency."""

    type: str
    name: str
    category: MethodCategory
    regions: tuple[str, ...]
    currencies: tuple[str, ...]
    default_expiry: timedelta
    terminals: frozenset[str] = frozenset({"WEB", "WAP", "APP"})
    products: frozenset[str] = frozenset({"CASHIER_PAYMENT"})
    min_amount: Mapping[str, int] = field(default_factory=dict)
    max_amount: Mapping[str, int] = field(default_factory=dict)
    minor_value_multiple: Mapping[str, int] = field(default_factory=dict)
    refund_window: timedelta = DEFAULT_REFUND_WINDOW
    #: False: the method cannot refund at all (REFUND_NOT_SUPPORTED)
    supports_refund: bool = True
    #: False: only the full amount, in one refund (PARTIAL_REFUND_NOT_SUPPORTED)
    supports_partial_refund: bool = True
    #: how many refunds a payment may have (None: any number; MULTIPLE_REFUNDS_NOT_SUPPORTED)
    max_refunds: int | None = None
    cancel_window: CancelWindow = CancelWindow.T1_0015_UTC8
    app_identifier: str | None = None
    #: empty: any OS; else only these ``env.osType`` values (Apple Pay: IOS).
    os_types: frozenset[str] = frozenset()
    #: consult ``logo.logoName`` (≤ 12 characters); defaults to ``name``.
    logo_name: str = ""

    def __post_init__(self) -> None:
        for attr in ("min_amount", "max_amount", "minor_value_multiple"):
            object.__setattr__(self, attr, _frozen(getattr(self, attr)))
        if not self.logo_name:
            object.__setattr__(self, "logo_name", self.name)
        problem = _spec_problem(self)
        if problem:
            raise ValueError(f"payment method {self.type}: {problem}")

    def __hash__(self) -> int:
        return hash(self.type)

    @property
    def has_app(self) -> bool:
        return self.app_identifier is not None

    @property
    def cancellable(self) -> bool:
        return self.cancel_window is not CancelWindow.NEVER

    @property
    def cancel_rule(self) -> str:
        return _CANCEL_RULES[self.cancel_window]

    @property
    def is_global(self) -> bool:
        return GLOBAL_REGION in self.regions


def _spec_problem(spec: PaymentMethodSpec) -> str | None:
    if not spec.regions or not spec.currencies:
        return "regions and currencies must not be empty"
    unknown = [c for c in spec.currencies if not is_currency(c)]
    if unknown:
        return f"unknown currencies {unknown}"
    for attr in ("min_amount", "max_amount", "minor_value_multiple"):
        stray = set(getattr(spec, attr)) - set(spec.currencies)
        if stray:
            return f"{attr} names currencies the method does not take: {sorted(stray)}"
    if not spec.terminals <= TERMINAL_TYPES or not spec.products <= PRODUCT_CODES:
        return "unknown terminal type or product code"
    if not spec.os_types <= OS_TYPES:
        return "unknown os type"
    if len(spec.logo_name) > LOGO_NAME_MAX:
        return f"logo name {spec.logo_name!r} is longer than {LOGO_NAME_MAX} characters"
    return None


def _joined(values: tuple[str, ...] | frozenset[str]) -> str:
    ordered = values if isinstance(values, tuple) else sorted(values)
    return ", ".join(ordered)


def currency_error(spec: PaymentMethodSpec, currency: str) -> DomainError | None:
    if currency in spec.currencies:
        return None
    return DomainError(
        "CURRENCY_NOT_SUPPORT",
        f"{spec.type} does not accept {currency}; it accepts {_joined(spec.currencies)}",
    )


def product_error(spec: PaymentMethodSpec, product_code: str) -> DomainError | None:
    if product_code in spec.products:
        return None
    return DomainError(
        "BUSINESS_NOT_SUPPORT",
        f"{spec.type} is not offered for productCode {product_code}; "
        f"it is offered for {_joined(spec.products)}",
    )


def terminal_error(spec: PaymentMethodSpec, terminal_type: str | None) -> DomainError | None:
    if terminal_type is None or terminal_type in spec.terminals:
        return None
    if terminal_type not in TERMINAL_TYPES:
        reason = f"terminalType {terminal_type!r} is not one of WEB, WAP, APP, MINI_APP"
    else:
        reason = (
            f"{spec.type} is not offered on terminalType {terminal_type}; "
            f"it serves {_joined(spec.terminals)}"
        )
    return DomainError("PARAM_ILLEGAL", reason)


def amount_error(spec: PaymentMethodSpec, money: Money) -> DomainError | None:
    """Minimum, maximum and minor-value multiple of ``money`` for ``spec``."""
    currency, value = money.currency, money.value
    maximum = spec.max_amount.get(currency)
    if maximum is not None and value > maximum:
        return DomainError(
            "PAYMENT_AMOUNT_EXCEED_LIMIT",
            f"{money} exceeds the {spec.type} limit; maximum is {Money(currency, maximum)}",
        )
    minimum = spec.min_amount.get(currency)
    if minimum is not None and value < minimum:
        return DomainError(
            "PARAM_ILLEGAL",
            f"{money} is below the {spec.type} minimum; minimum is {Money(currency, minimum)}",
        )
    multiple = spec.minor_value_multiple.get(currency) or MINOR_VALUE_MULTIPLE.get(currency)
    if multiple and value % multiple:
        return DomainError(
            "PARAM_ILLEGAL",
            f"{spec.type} takes {currency} amounts in steps of {Money(currency, multiple)} "
            f"(value a multiple of {multiple}); got value {value}",
        )
    return None


def check_payable(
    spec: PaymentMethodSpec, money: Money, *, terminal_type: str | None, product_code: str
) -> None:
    """Raise the first :class:`DomainError` that stops ``spec`` taking this payment.

    ``terminal_type`` ``None`` (in-store requests carry no terminal) passes the terminal
    check. Order: product, terminal, currency, amount.
    """
    for error in (
        product_error(spec, product_code),
        terminal_error(spec, terminal_type),
        currency_error(spec, money.currency),
        amount_error(spec, money),
    ):
        if error is not None:
            raise error


def cancel_deadline(spec: PaymentMethodSpec, paid_at: datetime) -> datetime | None:
    """When a payment completed at ``paid_at`` stops being cancellable (None: already)."""
    window = spec.cancel_window
    if window in (CancelWindow.SEVEN_DAYS, CancelWindow.SEVEN_DAYS_UNCAPTURED):
        return paid_at + timedelta(days=7)
    if window is CancelWindow.T1_0015_UTC8:
        next_day = paid_at.astimezone(_UTC8).date() + timedelta(days=1)
        return datetime.combine(next_day, time(0, 15), tzinfo=_UTC8)
    return None


def supports_authorization(spec: PaymentMethodSpec) -> bool:
    """Card-like methods authorize first and capture later (``isAuthorization``): the
    ones whose payments stay cancellable until captured."""
    return spec.cancel_window is CancelWindow.SEVEN_DAYS_UNCAPTURED


def check_cancellable(
    spec: PaymentMethodSpec, *, paid_at: datetime | None, captured: bool, now: datetime
) -> None:
    """Refuse a cancel outside the method's window (spec §3.3); ``paid_at`` None = unpaid."""
    if not spec.cancellable:
        raise DomainError(
            "BUSINESS_NOT_SUPPORT",
            f"cannot cancel: {spec.type} payments are not cancellable; "
            "refund a paid payment, or let an unpaid one expire",
        )
    if captured and spec.cancel_window is CancelWindow.SEVEN_DAYS_UNCAPTURED:
        raise DomainError(
            "ORDER_STATUS_INVALID",
            f"cannot cancel: the {spec.type} payment is captured; refund it instead",
        )
    if paid_at is None:
        return
    deadline = cancel_deadline(spec, paid_at)
    if deadline is None or now >= deadline:
        when = "" if deadline is None else f" (it closed at {deadline.isoformat()})"
        raise DomainError(
            "CANCEL_WINDOW_EXCEED",
            f"cannot cancel: {spec.type} is {spec.cancel_rule}{when}; refund instead",
        )


def check_refundable(
    spec: PaymentMethodSpec,
    *,
    paid_at: datetime,
    now: datetime,
    partial: bool,
    refunds_before: int = 0,
) -> None:
    """Refuse a refund the method cannot do at all, one past its refund window, a partial
    one it cannot do, or one more than it allows per payment (``refunds_before``: the
    payment's refunds that succeeded or are in process)."""
    if not spec.supports_refund:
        raise DomainError(
            "REFUND_NOT_SUPPORTED",
            f"cannot refund: {spec.type} payments cannot be refunded through the gateway; "
            "return the funds to the buyer another way",
        )
    deadline = paid_at + spec.refund_window
    if now > deadline:
        raise DomainError(
            "REFUND_WINDOW_EXCEED",
            f"cannot refund: {spec.type} payments are refundable for "
            f"{spec.refund_window.days} days; the window closed at {deadline.isoformat()}",
        )
    if partial and not spec.supports_partial_refund:
        raise DomainError(
            "PARTIAL_REFUND_NOT_SUPPORTED",
            f"cannot refund part of a {spec.type} payment; refund the full amount",
        )
    if spec.max_refunds is not None and refunds_before >= spec.max_refunds:
        raise DomainError(
            "MULTIPLE_REFUNDS_NOT_SUPPORTED",
            f"cannot refund: {spec.type} allows {spec.max_refunds} refund(s) per payment and "
            f"this payment has {refunds_before}",
        )
