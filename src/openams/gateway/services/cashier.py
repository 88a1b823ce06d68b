"""The hosted cashier's use cases: what a buyer's link shows, and what the buyer's action does.

Pages find a payment by its unguessable token only. Every final state goes through
:meth:`PaymentService.complete` (the path the ``completePayment`` sandbox helper takes
too); the sandbox decides the outcome with the rules in ``domain.simulation``.

State a page hands to the browser between steps (who logged in to the wallet, the card
kept for a 3-D Secure challenge, when a processing payment may settle) travels in HMAC
tickets (:mod:`openams.gateway.services.tickets`), bound to the payment's token.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from openams.gateway.domain.cards import CardResult, check_card, digits_only
from openams.gateway.domain.clock import Clock, from_ms
from openams.gateway.domain.errors import DomainError
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_methods import MethodCategory, PaymentMethodSpec
from openams.gateway.domain.ports import PaymentMethodCatalogue, UnitOfWorkFactory
from openams.gateway.domain.session import PaymentSession
from openams.gateway.domain.simulation import (
    DECLINED,
    PROCESSING_DELAY_MS,
    Decision,
    Outcome,
    card_decision,
    card_needs_challenge,
    challenge_decision,
    issuer_decision,
    transfer_decision,
    wallet_decision,
)
from openams.gateway.domain.transitions import PaymentStatus
from openams.gateway.services.continuation import Links
from openams.gateway.services.merchant_time import merchant_now
from openams.gateway.services.payments import PaymentService
from openams.gateway.services.tickets import TicketSigner
from openams.protocol.models import PayRequest
from openams.protocol.money import Money

BANK_CATEGORIES = frozenset(
    {MethodCategory.BANK_TRANSFER, MethodCategory.VA, MethodCategory.OTC,
     MethodCategory.ONLINE_BANKING}
)  # fmt: skip
#: Statuses in which the buyer has paid (a card authorization awaiting capture, or being
#: captured, counts).
PAID_STATUSES = frozenset({"SUCCESS", "AUTHORIZED", "CAPTURING"})
#: What a payment token or session id can look like; anything else is not looked up.
_LINK_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: Fields of a createPaymentSession request that a pay request does not have.
_SESSION_ONLY = ("paymentSessionExpiryTime", "productScene", "savedPaymentMethods")


class PageKind(StrEnum):
    QR = "QR"  # desktop: scan the code with the wallet
    WALLET = "WALLET"  # phone: wallet login (H5)
    CARD = "CARD"  # card form
    BANK = "BANK"  # transfer instructions


class LinkState(StrEnum):
    OPEN = "OPEN"  # the buyer can still pay
    PAID = "PAID"
    PENDING = "PENDING"  # the buyer paid; the final result follows
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class LinkNotFound(Exception):
    """No payment (or session) behind this link."""


def page_kind(method: PaymentMethodSpec, terminal: str | None, product_code: str) -> PageKind:
    if method.category is MethodCategory.CARD:
        return PageKind.CARD
    if method.category in BANK_CATEGORIES:
        return PageKind.BANK
    if terminal in ("WAP", "APP", "MINI_APP") or product_code == "IN_STORE_PAYMENT":
        return PageKind.WALLET
    return PageKind.QR


@dataclass(frozen=True, slots=True)
class GoodsLine:
    name: str
    quantity: str
    unit_amount: str | None


@dataclass(frozen=True, slots=True)
class CashierView:
    """Everything a cashier page shows about one payment. Text is raw: templates escape."""

    token: str
    payment_id: str
    state: LinkState
    status: PaymentStatus
    kind: PageKind
    method: PaymentMethodSpec
    terminal: str | None
    amount: Money
    amount_value: int
    merchant_name: str
    order_description: str
    reference_order_id: str | None
    goods: tuple[GoodsLine, ...]
    expires_at: int
    seconds_left: int
    redirect_url: str | None
    result_code: str | None
    result_message: str | None
    offer_save_card: bool
    #: a server-to-server card payment waiting for the buyer's 3-D Secure challenge
    pending_card: CardResult | None
    code_value: str
    virtual_account: str
    transfer_reference: str
    #: origins that may frame this page (a session's payment, its merchant's list)
    frame_origins: tuple[str, ...] = ()

    @property
    def amount_text(self) -> str:
        return str(self.amount)


@dataclass(frozen=True, slots=True)
class Step:
    """What the page does next: ``done`` (show the result), ``processing`` (settle later
    with ``ticket``), or ``challenge`` (3-D Secure with ``ticket``)."""

    kind: str
    ticket: str = ""
    card: CardResult | None = None


@dataclass(frozen=True, slots=True)
class CheckoutOption:
    type: str
    name: str
    category: str
    logo_url: str


@dataclass(frozen=True, slots=True)
class CheckoutView:
    session_id: str
    merchant_name: str
    order_description: str
    amount: Money
    goods: tuple[GoodsLine, ...]
    options: tuple[CheckoutOption, ...]
    expired: bool
    redirect_url: str | None
    #: the payment this checkout already became, if any
    payment_token: str | None = None
    #: origins that may frame the checkout (its merchant's list)
    frame_origins: tuple[str, ...] = ()

    @property
    def amount_text(self) -> str:
        return str(self.amount)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _goods(order: dict[str, Any]) -> tuple[GoodsLine, ...]:
    lines = []
    for item in order.get("goods") or []:
        if not isinstance(item, dict):
            continue
        unit = item.get("goodsUnitAmount")
        unit_text = None
        if isinstance(unit, dict):
            try:
                unit_text = str(Money.parse(unit.get("currency"), unit.get("value")))
            except ValueError:
                unit_text = None
        lines.append(
            GoodsLine(
                _text(item.get("goodsName")) or "item",
                _text(item.get("goodsQuantity")) or "1",
                unit_text,
            )
        )
    return tuple(lines)


def _merchant_name(order: dict[str, Any], fallback: str) -> str:
    merchant = order.get("merchant")
    if isinstance(merchant, dict):
        for key in ("merchantDisplayName", "merchantName"):
            name = _text(merchant.get(key)).strip()
            if name:
                return name
    return fallback


def _digits(seed: str, count: int) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return "".join(str(int(ch, 16) % 10) for ch in digest)[:count]


@dataclass
class CashierService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    links: Links
    clock: Clock
    payments: PaymentService
    tickets: TicketSigner
    #: Seconds a "processing, then success" payment waits; tests may shorten it.
    processing_delay_ms: int = field(default=PROCESSING_DELAY_MS)

    # ------------------------------------------------------------- reading

    def _load(self, token: str) -> tuple[Payment, str]:
        if not _LINK_ID.fullmatch(token):
            raise LinkNotFound(token[:64])
        with self.uow() as uow:
            payment = uow.payments.get_by_token(token)
            if payment is None:
                raise LinkNotFound(token)
            merchant = uow.merchants.get(payment.client_id)
        return payment, merchant.name if merchant is not None else payment.client_id

    def _frame_origins(self, payment: Payment) -> tuple[str, ...]:
        """A session's payment may be framed by its merchant's origins; others by none."""
        with self.uow() as uow:
            session = uow.sessions.get_by_request_id(payment.client_id, payment.payment_request_id)
            if session is None:
                return ()
            return uow.merchants.get_frame_origins(payment.client_id)

    def _merchant_now(self, client_id: str) -> int:
        """The merchant's time: its payments and sessions expire by it."""
        with self.uow() as uow:
            return merchant_now(uow, self.clock, client_id)

    def view(self, token: str) -> CashierView:
        payment, merchant_name = self._load(token)
        now = self._merchant_now(payment.client_id)
        method = self.catalogue.get(payment.method_type)
        assert method is not None
        order = payment.request.get("order") or {}
        factor = payment.request.get("paymentFactor") or {}
        seconds_left = max(0, (payment.expires_at - now) // 1000)
        return CashierView(
            token=payment.token,
            payment_id=payment.payment_id,
            state=self._state(payment, now),
            status=payment.status,
            kind=page_kind(method, payment.terminal_type, payment.product_code),
            method=method,
            terminal=payment.terminal_type,
            amount=payment.amount,
            amount_value=payment.amount.value,
            merchant_name=_merchant_name(order, merchant_name),
            order_description=payment.order_description or "",
            reference_order_id=payment.reference_order_id,
            goods=_goods(order),
            expires_at=payment.expires_at,
            seconds_left=seconds_left,
            redirect_url=payment.redirect_url,
            result_code=payment.result_code,
            result_message=payment.result_message,
            offer_save_card=bool(factor.get("storePaymentMethodForBuyer")),
            pending_card=payment.card if payment.status is PaymentStatus.PROCESSING else None,
            code_value=self.links.code(payment.token),
            virtual_account="8808" + _digits(payment.token, 12),
            transfer_reference="OA" + _digits(payment.payment_id, 10),
            frame_origins=self._frame_origins(payment),
        )

    @staticmethod
    def _state(payment: Payment, now: int) -> LinkState:
        if payment.is_due_to_expire(now):
            return LinkState.EXPIRED
        if payment.status.value in PAID_STATUSES:
            return LinkState.PAID
        if payment.status is PaymentStatus.PENDING:
            return LinkState.PENDING
        if payment.status is PaymentStatus.CANCELLED:
            return LinkState.CANCELLED
        if payment.status is PaymentStatus.FAIL:
            return (
                LinkState.EXPIRED
                if payment.result_code == "ORDER_IS_CLOSED"
                else (LinkState.FAILED)
            )
        return LinkState.OPEN

    # ------------------------------------------------------------- acting

    def _apply(self, token: str, decision: Decision, card: CardResult | None = None) -> Step:
        if decision.outcome is Outcome.PROCESSING:
            ready = self.clock() + self.processing_delay_ms
            return Step("processing", self.tickets.sign("settle", {"t": token, "r": ready}))
        extra: dict[str, Any] = {} if card is None else {"card": card}
        self.payments.complete(
            None,
            token=token,
            outcome=decision.outcome.value,
            result_code=decision.result_code,
            result_message=decision.result_message,
            **extra,
        )
        return Step("done", card=card)

    def decline(self, token: str) -> Step:
        return self._apply(token, DECLINED)

    def wallet_ticket(self, token: str, account: str) -> str:
        """After a sandbox login (any account and password): who is paying."""
        return self.tickets.sign("wallet", {"t": token, "a": account.strip()[:64]})

    def wallet_account(self, token: str, ticket: str | None) -> str | None:
        data = self.tickets.unsign("wallet", ticket)
        if data is None or data.get("t") != token:
            return None
        return str(data.get("a", ""))

    def wallet_pay(self, token: str, account: str) -> Step:
        payment, _ = self._load(token)
        return self._apply(token, wallet_decision(payment.amount.value, account))

    def settle(self, token: str, ticket: str | None) -> Step:
        """Finish a "processing, then success" payment once its delay has passed."""
        data = self.tickets.unsign("settle", ticket)
        if data is None or data.get("t") != token:
            raise DomainError("PARAM_ILLEGAL", "this page is out of date; reload it")
        if self.clock() < int(data.get("r", 0)):
            return Step("processing", str(ticket))
        return self._apply(token, Decision(Outcome.SUCCESS))

    def transfer_received(self, token: str) -> Step:
        payment, _ = self._load(token)
        return self._apply(token, transfer_decision(payment.amount.value))

    def pay_card(
        self,
        token: str,
        *,
        number: str,
        expiry_month: str,
        expiry_year: str,
        cvv: str,
        holder_name: str | None,
        save: bool,
    ) -> Step:
        """Check the card (raises ``CardError``), keep only its safe parts, then pay or
        ask for the 3-D Secure challenge. The number and CVV go no further than here."""
        payment, _ = self._load(token)
        today = from_ms(self.clock())
        factor = payment.request.get("paymentFactor") or {}
        card = check_card(
            number=number,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
            cvv=cvv,
            holder_name=holder_name,
            today=(today.year, today.month),
            save=save and bool(factor.get("storePaymentMethodForBuyer")),
        )
        pan = digits_only(number)
        decision = card_decision(payment.amount.value, pan)
        if card_needs_challenge(pan) and decision.result_code != "RISK_REJECT":
            ticket = self.tickets.sign(
                "3ds",
                {
                    "t": token,
                    "card": card.to_dict(),
                    "o": decision.outcome.value,
                    "c": decision.result_code,
                    "m": decision.result_message,
                },
            )
            return Step("challenge", ticket, card)
        return self._apply(token, decision, card.with_three_ds(challenged=False))

    def pending_challenge(self, view: CashierView) -> Step:
        """The challenge of a server-to-server card payment (its card came with the pay
        request): the sandbox issuer is the test card with the same BIN and last four."""
        card = view.pending_card
        assert card is not None
        after = issuer_decision(card.bin, card.last_four)
        data = {"t": view.token, "o": after.outcome.value, "c": after.result_code}
        ticket = self.tickets.sign("3ds", {**data, "m": after.result_message})
        return Step("challenge", ticket, card)

    def answer_challenge(self, token: str, ticket: str | None, code: str) -> Step:
        data = self.tickets.unsign("3ds", ticket)
        if data is None or data.get("t") != token:
            raise DomainError("PARAM_ILLEGAL", "this 3-D Secure page is out of date; pay again")
        after = Decision(Outcome(data["o"]), data.get("c"), data.get("m"))
        if "card" not in data:  # server to server: the payment holds its card already
            return self._apply(token, challenge_decision(code, after))
        card = CardResult.from_dict(data["card"]).with_three_ds(challenged=True)
        return self._apply(token, challenge_decision(code, after), card)

    # ----------------------------------------------------------- checkout

    def _session(self, session_id: str) -> tuple[PaymentSession, str, Payment | None]:
        if not _LINK_ID.fullmatch(session_id):
            raise LinkNotFound(session_id[:64])
        with self.uow() as uow:
            session = uow.sessions.get(session_id)
            if session is None:
                raise LinkNotFound(session_id)
            merchant = uow.merchants.get(session.client_id)
            payment = uow.payments.get_by_request_id(session.client_id, session.payment_request_id)
        name = merchant.name if merchant is not None else session.client_id
        return session, name, payment

    def _merchant_origins(self, client_id: str) -> tuple[str, ...]:
        with self.uow() as uow:
            return uow.merchants.get_frame_origins(client_id)

    def checkout(self, session_id: str) -> CheckoutView:
        session, merchant_name, payment = self._session(session_id)
        request = session.request
        order = request.get("order") or {}
        amount = request.get("paymentAmount") or {}
        money = Money.parse(amount.get("currency"), amount.get("value"))
        preset = (request.get("paymentMethod") or {}).get("paymentMethodType")
        env = request.get("env") or {}
        specs: list[PaymentMethodSpec]
        if preset:
            spec = self.catalogue.get(preset)
            specs = [spec] if spec is not None else []
        else:
            options = self.catalogue.consult(
                money=money,
                terminal_type=env.get("terminalType") or "WEB",
                os_type=env.get("osType"),
                product_code="CASHIER_PAYMENT",
                allowed_regions=request.get("allowedPaymentMethodRegions"),
                allowed_methods=None,
                blocked_methods=None,
                user_region=request.get("userRegion"),
            )
            specs = [option.spec for option in options if option.enabled]
        return CheckoutView(
            session_id=session.session_id,
            merchant_name=_merchant_name(order, merchant_name),
            order_description=_text(order.get("orderDescription")),
            amount=money,
            goods=_goods(order),
            options=tuple(
                CheckoutOption(s.type, s.name, s.category.wire, self.links.logo(s.type))
                for s in specs
            ),
            expired=session.expires_at <= self._merchant_now(session.client_id),
            redirect_url=_text(request.get("paymentRedirectUrl")) or None,
            payment_token=payment.token if payment is not None else None,
            frame_origins=self._merchant_origins(session.client_id),
        )

    def start_checkout(self, session_id: str, method_type: str) -> str:
        """Turn the session into a payment with the buyer's method (the pay rules apply
        as for a pay request); returns where the buyer goes next."""
        session, _, existing = self._session(session_id)
        if existing is not None:  # started before (another tab): continue that payment
            return self.links.cashier(existing.token)
        view = self.checkout(session_id)
        if view.expired:
            raise DomainError("ORDER_IS_CLOSED", "this checkout has expired")
        if method_type not in {option.type for option in view.options}:
            raise DomainError("PARAM_ILLEGAL", "Choose one of the payment methods shown.")
        with self.uow() as uow:
            merchant = uow.merchants.get(session.client_id)
        assert merchant is not None
        wire = {k: v for k, v in session.request.items() if k not in _SESSION_ONLY}
        wire["paymentMethod"] = {"paymentMethodType": method_type}
        env = dict(wire.get("env") or {})
        env.setdefault("terminalType", "WEB")
        wire["env"] = env
        body = self.payments.pay(merchant, PayRequest.model_validate(wire))
        if "normalUrl" in body:
            return str(body["normalUrl"])
        form = body.get("redirectActionForm")
        if form is not None and form.get("parameters"):
            return f"{form['redirectUrl']}?{urlencode({'parameters': form['parameters']})}"
        return f"{self.links.base_url}/checkout/{session_id}"

    # ----------------------------------------------------------- alipaycn

    @staticmethod
    def alipaycn_token(parameters: str | None, token: str | None) -> str | None:
        """The token of an AlipayCN redirectActionForm: in ``parameters`` (JSON) or alone."""
        if parameters:
            try:
                decoded = json.loads(parameters)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict) and isinstance(decoded.get("token"), str):
                return str(decoded["token"])
        return token or None
