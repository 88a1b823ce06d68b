"""Sandbox buyers' payment codes: the wallet simulator shows them, pay (PaymentCode) uses them.

``issue`` makes a code for a buyer (the wallet page, and ``testHelpers/issuePaymentCode``);
``use`` spends one inside the pay's unit of work. The code's digits come from the wallet
handle and the gateway's secret, so a page can show them again while the database keeps
only their hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from openams.gateway.domain.clock import Clock, iso
from openams.gateway.domain.errors import param_illegal
from openams.gateway.domain.payment import Payment
from openams.gateway.domain.payment_codes import (
    CODE_TTL_MS,
    KEEP_EXPIRED_MS,
    PaymentCode,
    check_shape,
    check_usable,
    code_from_digest,
    code_hash,
    invalid_code,
)
from openams.gateway.domain.ports import UnitOfWork, UnitOfWorkFactory
from openams.gateway.services.tickets import TicketSigner
from openams.protocol.results import result

#: What a wallet handle looks like; anything else is not looked up.
_CODE_ID = re.compile(r"[A-Za-z0-9_-]{24,64}")
MAX_BUYER_LENGTH = 64


def buyer_name(buyer: str) -> str:
    """The sandbox account a code is bound to: any non-blank name up to 64 characters."""
    name = buyer.strip()
    if not name:
        raise param_illegal("buyer (a sandbox wallet account name) is required")
    if len(name) > MAX_BUYER_LENGTH or any(ord(ch) < 32 for ch in name):
        raise param_illegal(f"buyer must be at most {MAX_BUYER_LENGTH} printable characters")
    return name


@dataclass(frozen=True, slots=True)
class ShownCode:
    """A code as the wallet shows it: the digits only ever live here and on the page."""

    code: PaymentCode
    value: str


@dataclass
class PaymentCodeService:
    uow: UnitOfWorkFactory
    clock: Clock
    tickets: TicketSigner

    def value_of(self, code_id: str) -> str:
        mac = self.tickets.mac("payment-code", code_id)
        return code_from_digest(hashlib.sha256(mac.encode("ascii")).digest())

    def issue(self, buyer: str) -> ShownCode:
        """A new code for ``buyer``, valid for one minute and for one payment."""
        name = buyer_name(buyer)
        now = self.clock()
        code_id = secrets.token_urlsafe(24)
        value = self.value_of(code_id)
        code = PaymentCode(code_id, code_hash(value), name, now, now + CODE_TTL_MS)
        with self.uow(write=True) as uow:
            uow.payment_codes.prune_unused(now - KEEP_EXPIRED_MS)
            uow.payment_codes.add(code)
            uow.commit()
        return ShownCode(code, value)

    def issue_answer(self, buyer: str) -> dict[str, Any]:
        """``testHelpers/issuePaymentCode``: the code a buyer's wallet would show."""
        shown = self.issue(buyer)
        return {
            "result": result("SUCCESS", "success"),
            "paymentCode": shown.value,
            "codeExpiryTime": iso(shown.code.expires_at),
        }

    def shown(self, code_id: str) -> ShownCode | None:
        """The code behind a wallet handle, or None."""
        if not _CODE_ID.fullmatch(code_id):
            return None
        with self.uow() as uow:
            code = uow.payment_codes.get_by_id(code_id)
        return None if code is None else ShownCode(code, self.value_of(code_id))

    def payment_of(self, code: PaymentCode) -> Payment | None:
        if code.payment_id is None:
            return None
        with self.uow() as uow:
            return uow.payments.get_by_id(code.payment_id)


def use(uow: UnitOfWork, value: str, payment: Payment, now: int) -> PaymentCode:
    """Spend the code ``value`` on ``payment`` in the caller's unit of work, or raise the
    result Antom gives for an unknown, used or expired code."""
    check_shape(value)
    code = check_usable(uow.payment_codes.get(code_hash(value)), now)
    if not uow.payment_codes.use(code.code_hash, now, payment.client_id, payment.payment_id):
        raise invalid_code("was already used")
    return code
