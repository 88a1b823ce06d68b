"""createPaymentSession: park a checkout for the hosted Checkout Page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from openams.gateway.domain.clock import Clock, iso, ms_delta, parse_datetime, to_ms
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.payment import Fingerprint
from openams.gateway.domain.payment_methods import check_payable
from openams.gateway.domain.ports import PaymentMethodCatalogue, UnitOfWorkFactory
from openams.gateway.domain.session import (
    PRODUCT_SCENES,
    PaymentSession,
    new_session_id,
    scene_config,
    session_data,
)
from openams.gateway.services.cards import scrub_card_data
from openams.gateway.services.continuation import Links
from openams.gateway.services.pay_rules import (
    CASHIER_PAYMENT,
    blank,
    check_order,
    parse_money,
)
from openams.protocol.models import CreatePaymentSessionRequest
from openams.protocol.results import result

SESSION_LIFETIME = timedelta(hours=1)


def session_expiry(requested: str | None, now: int) -> int:
    """``paymentSessionExpiryTime``: default one hour; if given, within (now, now + 1 h]."""
    latest = now + ms_delta(SESSION_LIFETIME)
    if blank(requested):
        return latest
    try:
        moment = to_ms(parse_datetime(str(requested)))
    except ValueError as exc:
        raise param_illegal(f"paymentSessionExpiryTime is not ISO-8601: {exc}") from None
    if not now < moment <= latest:
        raise param_illegal("paymentSessionExpiryTime must be within one hour from now")
    return moment


@dataclass
class SessionService:
    uow: UnitOfWorkFactory
    catalogue: PaymentMethodCatalogue
    links: Links
    clock: Clock

    def create(self, merchant: Merchant, request: CreatePaymentSessionRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        try:
            session = self._validated(merchant, request, now)
        except DomainError:
            # An identical resend is answered from what is stored, before any check that
            # depends on time (paymentSessionExpiryTime passed).
            existing = self._stored(merchant, request.payment_request_id)
            if existing is None or existing.request != scrub_card_data(request.wire()):
                raise
            return self._replay(existing, existing.fingerprint, now)
        with self.uow(write=True) as uow:
            existing = uow.sessions.get_by_request_id(
                merchant.client_id, session.payment_request_id
            )
            if existing is None and uow.sessions.add_if_absent(session):
                uow.commit()
                return self._body(session)
            existing = existing or uow.sessions.get_by_request_id(
                merchant.client_id, session.payment_request_id
            )
            assert existing is not None
        return self._replay(existing, session.fingerprint, now)

    def _stored(self, merchant: Merchant, payment_request_id: str | None) -> PaymentSession | None:
        if blank(payment_request_id):
            return None
        assert payment_request_id is not None
        with self.uow() as uow:
            return uow.sessions.get_by_request_id(merchant.client_id, payment_request_id)

    def _validated(
        self, merchant: Merchant, request: CreatePaymentSessionRequest, now: int
    ) -> PaymentSession:
        """The new session the request asks for, or a refusal of the request."""
        if request.product_scene not in PRODUCT_SCENES:
            raise param_illegal(
                f"productScene must be CHECKOUT_PAYMENT, ELEMENT_PAYMENT or absent, "
                f"got {request.product_scene!r}"
            )
        if request.product_code != CASHIER_PAYMENT:
            raise DomainError(
                "BUSINESS_NOT_SUPPORT",
                f"createPaymentSession supports CASHIER_PAYMENT only, got {request.product_code}",
            )
        money = parse_money(request.payment_amount, "paymentAmount")
        if request.order.order_amount is None:
            # The official Python and PHP SDK samples send none: the payment amount it is,
            # stored so that the payment made from the session carries it too.
            request.order.order_amount = request.payment_amount
        check_order(request.order, request.product_code)
        if blank(request.payment_redirect_url):
            raise param_illegal("paymentRedirectUrl is required")
        method_type = request.payment_method.payment_method_type if request.payment_method else ""
        if method_type:
            method = self.catalogue.get(method_type)
            if method is None:
                raise param_illegal(f"paymentMethod.paymentMethodType {method_type!r} is unknown")
            check_payable(method, money, terminal_type=None, product_code=CASHIER_PAYMENT)
        settlement = (
            request.settlement_strategy.settlement_currency if request.settlement_strategy else None
        )
        fingerprint = Fingerprint(
            CASHIER_PAYMENT, money.currency, money.value, method_type, None, settlement or None
        ).encode()
        session = PaymentSession(
            session_id=new_session_id(),
            client_id=merchant.client_id,
            payment_request_id=request.payment_request_id,
            fingerprint=fingerprint,
            session_data="",
            created_at=now,
            expires_at=session_expiry(request.payment_session_expiry_time, now),
            request=scrub_card_data(request.wire()),  # never a card number or CVV
        )
        session.session_data = session_data(
            session.session_id,
            client_id=merchant.client_id,
            config=scene_config(request.product_scene, self._category(method_type)),
        )
        return session

    def _category(self, method_type: str) -> str | None:
        method = self.catalogue.get(method_type) if method_type else None
        return method.category.wire if method is not None else None

    def _replay(self, existing: PaymentSession, fingerprint: str, now: int) -> dict[str, Any]:
        if existing.fingerprint != fingerprint:
            raise DomainError(
                "REPEAT_REQ_INCONSISTENT",
                f"paymentRequestId {existing.payment_request_id} already has a session with a "
                "different amount, currency or payment method",
            )
        if existing.expires_at <= now:
            raise DomainError(
                "ORDER_IS_CLOSED",
                "the payment session for this paymentRequestId has expired; use a new one",
            )
        return self._body(existing)

    def _body(self, session: PaymentSession) -> dict[str, Any]:
        return {
            "result": result("SUCCESS", "success"),
            "paymentSessionData": session.session_data,
            "paymentSessionExpiryTime": iso(session.expires_at),
            "paymentSessionId": session.session_id,
            "normalUrl": self.links.checkout(session.session_id),
        }
