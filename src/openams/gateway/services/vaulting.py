"""Card vaulting: createVaultingSession, vaultPaymentMethod, inquireVaulting, the hosted
vaulting form and notifyVaulting.

The card number and CVV go no further than the card checks of :mod:`.cards` (the same
ones a card payment takes): what is stored is the card's safe parts and the request with
the number masked and no CVV (:func:`scrub_card_data`). A vaulted card is a saved card
(:class:`SavedCard`), so its ``cardToken`` pays through ``pay`` like any other.

Each state change (vaulted or refused) and its VAULTING_RESULT notification are written
in one transaction.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any

from openams.gateway.domain.cards import CardResult, check_card, digits_only
from openams.gateway.domain.clock import Clock, iso, ms_delta
from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.domain.merchant import Merchant
from openams.gateway.domain.notification import NotifyType
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.domain.simulation import Decision, Outcome, challenge_decision
from openams.gateway.domain.vaulting import (
    VAULTING_LIFETIME,
    Vaulting,
    VaultingKey,
    VaultingKind,
    VaultingStatus,
    new_page_token,
    new_vaulting_id,
    payment_method_detail,
)
from openams.gateway.services.cards import (
    CARD,
    CardCharge,
    card_charge,
    read_card,
    save_card,
    today,
)
from openams.gateway.services.cards import scrub_card_data as scrub
from openams.gateway.services.continuation import Links
from openams.gateway.services.merchant_time import merchant_now
from openams.gateway.services.notifications import Notifier
from openams.gateway.services.pay_rules import blank, check_notify_url
from openams.protocol.results import result
from openams.protocol.vaulting import (
    InquireVaultingRequest,
    VaultingSessionRequest,
    VaultPaymentMethodRequest,
)

CARD_FIELD = "paymentMethodDetail.card"


class VaultingLinkNotFound(LookupError):
    """No vaulting has this page token."""


@dataclass(frozen=True, slots=True)
class VaultingView:
    """What the hosted vaulting form shows."""

    token: str
    merchant_name: str
    status: VaultingStatus
    #: the buyer still has to type the card, or answer the challenge
    open: bool
    challenge: bool
    card: CardResult | None
    redirect_url: str | None
    result_code: str
    result_message: str


@dataclass(frozen=True, slots=True)
class VaultedCard:
    """A vaulting as the console and the CLI list it."""

    vaulting: Vaulting
    status: VaultingStatus
    result_code: str
    #: delivery status of its VAULTING_RESULT notification ("" when none was written)
    notification: str

    @property
    def card_token(self) -> str:
        card = self.vaulting.card
        ok = self.status is VaultingStatus.SUCCESS and card is not None
        return (card.card_token or "") if ok and card is not None else ""


def _required(value: str | None, name: str) -> str:
    if blank(value):
        raise param_illegal(f"{name} is required")
    assert value is not None
    return value


def _urls(notify_url: str | None, redirect_url: str | None) -> tuple[str, str]:
    notify = _required(notify_url, "vaultingNotificationUrl")
    check_notify_url("vaultingNotificationUrl", notify)
    redirect = _required(redirect_url, "redirectUrl")
    if "://" not in redirect:
        raise param_illegal(f"redirectUrl {redirect[:100]!r} is not an absolute URL")
    return notify, redirect


def _card_type(value: str | None, name: str) -> None:
    if value != CARD:
        raise param_illegal(
            f"{name} must be CARD (cards are the only method vaulted), got {value!r}"
        )


def _session_data(vaulting: Vaulting) -> str:
    """Opaque to the merchant, as Antom's: the same text for every replay."""
    raw = f"openams-vaulting&&{vaulting.vaulting_id}&&{vaulting.token}".encode()
    return base64.b64encode(raw).decode("ascii")


@dataclass
class VaultingService:
    uow: UnitOfWorkFactory
    links: Links
    clock: Clock
    notifier: Notifier

    # ------------------------------------------------------------------ API

    def create_session(self, merchant: Merchant, request: VaultingSessionRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        try:
            _card_type(request.payment_method_type, "paymentMethodType")
            notify, redirect = _urls(request.vaulting_notification_url, request.redirect_url)
            request_id = _required(request.vaulting_request_id, "vaultingRequestId")
        except DomainError:
            replayed = self._replay_identical(merchant, request.vaulting_request_id, request, now)
            if replayed is None:
                raise
            return replayed
        key = VaultingKey(VaultingKind.SESSION, CARD, notify, redirect)
        vaulting = self._new(merchant, request_id, key, request.wire(), now)
        vaulting.force_three_ds = bool(request.is3_ds_authentication)
        return self._store(merchant, vaulting, None, now)

    def vault(self, merchant: Merchant, request: VaultPaymentMethodRequest) -> dict[str, Any]:
        now = merchant.now(self.clock())
        try:
            notify, redirect = _urls(request.vaulting_notification_url, request.redirect_url)
            request_id = _required(request.vaulting_request_id, "vaultingRequestId")
            detail = request.payment_method_detail
            if detail is None:
                raise param_illegal("paymentMethodDetail is required")
            _card_type(detail.payment_method_type, "paymentMethodDetail.paymentMethodType")
            if detail.card is None:
                raise param_illegal(f"{CARD_FIELD} is required")
            charge = read_card(
                detail.card.wire(), now_ms=now, amount_value=0, where=CARD_FIELD, save=True
            )
        except DomainError:
            replayed = self._replay_identical(merchant, request.vaulting_request_id, request, now)
            if replayed is None:
                raise
            return replayed
        key = VaultingKey(
            VaultingKind.DIRECT, CARD, notify, redirect, VaultingKey.card_of(charge.card)
        )
        vaulting = self._new(merchant, request_id, key, scrub(request.wire()), now)
        vaulting.force_three_ds = bool(detail.card.is3_ds_authentication)
        return self._store(merchant, vaulting, charge, now)

    def inquire(self, merchant: Merchant, request: InquireVaultingRequest) -> dict[str, Any]:
        request_id = _required(request.vaulting_request_id, "vaultingRequestId")
        with self.uow() as uow:
            vaulting = uow.vaultings.get_by_request_id(merchant.client_id, request_id)
        if vaulting is None:
            raise DomainError(
                "VAULTING_NOT_EXIST", f"no vaulting with vaultingRequestId {request_id}"
            )
        now = merchant.now(self.clock())
        status = vaulting.shown_status(now)
        code, message = vaulting.outcome(now)
        body: dict[str, Any] = {
            "result": result("SUCCESS", "success."),
            "vaultingRequestId": vaulting.vaulting_request_id,
            "vaultingStatus": status.value,
            "vaultingResultCode": code,
            "vaultingResultMessage": message,
        }
        if vaulting.card is not None:
            body["paymentMethodDetail"] = self._detail(vaulting)
        if status is VaultingStatus.PROCESSING:
            body["normalUrl"] = self.links.vault(vaulting.token)
        metadata = vaulting.request.get("metadata")
        if isinstance(metadata, str):
            body["metadata"] = metadata
        return body

    def vaulted_cards(self, client_id: str, limit: int = 200) -> list[VaultedCard]:
        """The merchant's vaultings, newest first, with their notification's delivery
        (console, CLI)."""
        with self.uow() as uow:
            now = self._now_for(uow, client_id)
            vaultings = uow.vaultings.for_client(client_id, limit)
            delivery = uow.outbox.latest_status(client_id, [v.vaulting_id for v in vaultings])
        return [
            VaultedCard(
                vaulting=vaulting,
                status=vaulting.shown_status(now),
                result_code=vaulting.outcome(now)[0],
                notification=str(delivery.get(vaulting.vaulting_id, "")),
            )
            for vaulting in vaultings
        ]

    # ------------------------------------------------------------ storing

    def _new(
        self,
        merchant: Merchant,
        request_id: str,
        key: VaultingKey,
        request: dict[str, Any],
        now: int,
    ) -> Vaulting:
        return Vaulting(
            vaulting_id=new_vaulting_id(now),
            client_id=merchant.client_id,
            vaulting_request_id=request_id,
            kind=key.kind,
            status=VaultingStatus.PROCESSING,
            key=key.encode(),
            token=new_page_token(),
            notify_url=key.notify_url,
            redirect_url=key.redirect_url,
            created_at=now,
            expires_at=now + ms_delta(VAULTING_LIFETIME),
            request=request,
        )

    def _store(
        self, merchant: Merchant, vaulting: Vaulting, charge: CardCharge | None, now: int
    ) -> dict[str, Any]:
        with self.uow(write=True) as uow:
            existing = uow.vaultings.get_by_request_id(
                merchant.client_id, vaulting.vaulting_request_id, for_update=True
            )
            if existing is None and uow.vaultings.add_if_absent(vaulting):
                if charge is not None:
                    self._apply(uow, vaulting, charge, now)
                uow.commit()
                return self._answer(vaulting, now)
            existing = existing or uow.vaultings.get_by_request_id(
                merchant.client_id, vaulting.vaulting_request_id
            )
            assert existing is not None
        if existing.key != vaulting.key:
            raise DomainError(
                "REPEAT_REQ_INCONSISTENT",
                f"vaultingRequestId {existing.vaulting_request_id} was first used with a "
                "different API, card, vaultingNotificationUrl or redirectUrl; resend the "
                "identical request or use a new vaultingRequestId",
            )
        return self._answer(existing, now)

    def _replay_identical(
        self, merchant: Merchant, request_id: str | None, request: Any, now: int
    ) -> dict[str, Any] | None:
        """The stored answer to a resend identical to the stored request (checked before
        anything that depends on time, such as a card that has expired since)."""
        if blank(request_id):
            return None
        assert request_id is not None
        with self.uow() as uow:
            stored = uow.vaultings.get_by_request_id(merchant.client_id, request_id)
        if stored is None or stored.request != scrub(request.wire()):
            return None
        return self._answer(stored, now)

    def _apply(self, uow: UnitOfWork, vaulting: Vaulting, charge: CardCharge, now: int) -> None:
        """The sandbox issuer's answer to a card: refused, challenged, or vaulted."""
        vaulting.card = charge.card
        vaulting.three_ds_card = charge.card_three_ds
        if charge.decline is not None:
            self._finish(uow, vaulting, charge.decline, now)
        elif charge.three_ds or vaulting.force_three_ds:
            after = charge.card_decline
            vaulting.challenge = True
            vaulting.pending_code = after.result_code if after else None
            vaulting.pending_message = after.result_message if after else None
            uow.vaultings.save(vaulting)
        else:
            self._finish(uow, vaulting, None, now)

    def _finish(
        self, uow: UnitOfWork, vaulting: Vaulting, decline: Decision | None, now: int
    ) -> None:
        """Vaulted (``decline`` None) or refused, with its notification."""
        card = vaulting.card
        assert card is not None
        vaulting.challenge = False
        vaulting.completed_at = now
        if decline is None:
            vaulting.status = VaultingStatus.SUCCESS
            vaulting.result_code, vaulting.result_message = "SUCCESS", "success."
            save_card(uow, vaulting.client_id, card, now, three_ds=vaulting.three_ds_card)
        else:
            vaulting.status = VaultingStatus.FAIL
            vaulting.card = replace(card, card_token=None)
            vaulting.result_code = decline.result_code or "PROCESS_FAIL"
            vaulting.result_message = decline.result_message or vaulting.result_code
        uow.vaultings.save(vaulting)
        self.notifier.enqueue(
            uow,
            client_id=vaulting.client_id,
            notify_type=NotifyType.VAULTING_RESULT,
            subject_id=vaulting.vaulting_id,
            payment_id=vaulting.vaulting_id,
            url=vaulting.notify_url,
            body=self.notification_body(vaulting),
        )

    # ------------------------------------------------------------ answers

    def _detail(self, vaulting: Vaulting) -> dict[str, Any]:
        card = vaulting.card
        if card is not None and vaulting.status is not VaultingStatus.SUCCESS:
            card = replace(card, card_token=None)  # a token is usable only once vaulted
        return payment_method_detail(card)

    def _answer(self, vaulting: Vaulting, now: int) -> dict[str, Any]:
        if vaulting.kind is VaultingKind.SESSION:
            if vaulting.abandoned(now):
                raise DomainError(
                    "ORDER_IS_CLOSED",
                    f"the vaulting session of vaultingRequestId {vaulting.vaulting_request_id} "
                    "has expired; use a new vaultingRequestId",
                )
            return {
                "result": result("SUCCESS", "success."),
                "vaultingSessionData": _session_data(vaulting),
                "vaultingSessionId": vaulting.vaulting_id,
                "vaultingSessionExpiryTime": iso(vaulting.expires_at),
                "normalUrl": self.links.vault(vaulting.token),
            }
        code, message = vaulting.outcome(now)
        body: dict[str, Any] = {
            "result": result(code, message),
            "vaultingRequestId": vaulting.vaulting_request_id,
            "paymentMethodDetail": self._detail(vaulting),
        }
        if vaulting.shown_status(now) is VaultingStatus.PROCESSING:
            body["normalUrl"] = self.links.vault(vaulting.token)
        return body

    def notification_body(self, vaulting: Vaulting) -> dict[str, Any]:
        """notifyVaulting: S with the cardToken, or F with the refusal's code."""
        code = vaulting.result_code or "PROCESS_FAIL"
        body: dict[str, Any] = {
            "notifyType": NotifyType.VAULTING_RESULT.value,
            "result": result(code, vaulting.result_message),
            "vaultingRequestId": vaulting.vaulting_request_id,
            "paymentMethodDetail": self._detail(vaulting),
            "vaultingCreateTime": iso(vaulting.completed_at or vaulting.created_at),
        }
        metadata = vaulting.request.get("metadata")
        if isinstance(metadata, str):
            body["metadata"] = metadata
        return body

    # ------------------------------------------------------------ hosted form

    def view(self, token: str) -> VaultingView:
        with self.uow() as uow:
            vaulting = uow.vaultings.get_by_token(token) if token else None
            if vaulting is None:
                raise VaultingLinkNotFound(token[:64])
            merchant = uow.merchants.get(vaulting.client_id)
            now = self._now_for(uow, vaulting.client_id)
        status = vaulting.shown_status(now)
        code, message = vaulting.outcome(now)
        return VaultingView(
            token=vaulting.token,
            merchant_name=merchant.name if merchant is not None else vaulting.client_id,
            status=status,
            open=status is VaultingStatus.PROCESSING,
            challenge=vaulting.challenge,
            card=vaulting.card,
            redirect_url=vaulting.redirect_url,
            result_code=code,
            result_message=message,
        )

    def _now_for(self, uow: UnitOfWork, client_id: str) -> int:
        """The merchant's time (real time plus its sandbox clock offset)."""
        return merchant_now(uow, self.clock, client_id)

    def _open(self, uow: UnitOfWork, token: str) -> tuple[Vaulting, int]:
        """The open vaulting of ``token``, locked, and its merchant's time now."""
        vaulting = uow.vaultings.get_by_token(token, for_update=True)
        if vaulting is None:
            raise VaultingLinkNotFound(token[:64])
        now = self._now_for(uow, vaulting.client_id)
        if vaulting.status is not VaultingStatus.PROCESSING or vaulting.abandoned(now):
            raise DomainError("ORDER_STATUS_INVALID", "this vaulting is over")
        return vaulting, now

    def submit_card(
        self,
        token: str,
        *,
        number: str,
        expiry_month: str,
        expiry_year: str,
        cvv: str,
        holder_name: str | None,
    ) -> VaultingView:
        """The buyer typed a card on the hosted form (raises ``CardError`` for a field to
        correct). The number and CVV go no further than the card checks."""
        card = check_card(
            number=number,
            expiry_month=expiry_month,
            expiry_year=expiry_year,
            cvv=cvv,
            holder_name=holder_name,
            today=today(self.clock()),  # the buyer's card ages in real time
            save=True,
        )
        charge = card_charge(card, digits_only(number), 0)
        with self.uow(write=True) as uow:
            vaulting, now = self._open(uow, token)
            if vaulting.card is not None:
                raise DomainError("ORDER_STATUS_INVALID", "a card was already submitted")
            self._apply(uow, vaulting, charge, now)
            uow.commit()
        return self.view(token)

    def answer_challenge(self, token: str, code: str) -> VaultingView:
        with self.uow(write=True) as uow:
            vaulting, now = self._open(uow, token)
            if not vaulting.challenge:
                raise DomainError("ORDER_STATUS_INVALID", "no 3-D Secure challenge is open")
            after = (
                Decision.fail(vaulting.pending_code, vaulting.pending_message or "")
                if vaulting.pending_code
                else Decision(Outcome.SUCCESS)
            )
            decision = challenge_decision(code, after)
            self._finish(uow, vaulting, decision if decision.outcome is Outcome.FAIL else None, now)
            uow.commit()
        return self.view(token)
