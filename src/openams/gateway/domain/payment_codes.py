"""A sandbox buyer's payment code (user-presented mode): time-based, single use, bound to the buyer.

The wallet simulator shows a buyer a numeric code that changes every minute; the
merchant scans it and sends it in ``paymentMethod.paymentMethodId`` of a pay with
``inStorePaymentScenario`` PaymentCode. A code is derived from the wallet's private
handle (its ``code_id``) with the gateway's secret, so the wallet page can show it again,
and only its SHA-256 hash is stored. Using a code is one conditional update: a code is
never valid twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from openams.gateway.domain.errors import DomainError

#: How long a payment code may be used after it is shown (real wallets: one minute).
CODE_TTL_MS = 60_000
#: How long an unused code is kept after it expired (a pay with it answers EXPIRED_CODE
#: meanwhile; later, INVALID_PAYMENT_CODE): the wallet page issues codes on GET, so
#: whatever is issued must also go.
KEEP_EXPIRED_MS = 3_600_000
#: 18 digits starting ``28``: the length and look of the codes Alipay+ wallets show.
CODE_PREFIX = "28"
CODE_LENGTH = 18
#: ``paymentAmount.value`` (minor units, any currency) from which the buyer must
#: confirm the payment on the phone: the pay answers ``U/PAYMENT_IN_PROCESS`` until then.
CONFIRM_FROM_VALUE = 10_000

_CODE_SHAPE = re.compile(r"[0-9]{10,32}")


@dataclass(slots=True)
class PaymentCode:
    code_id: str
    code_hash: str
    buyer: str
    issued_at: int
    expires_at: int
    used_at: int | None = None
    client_id: str | None = None
    payment_id: str | None = None


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def code_from_digest(digest: bytes) -> str:
    """The code shown for a wallet handle, from the HMAC of the handle."""
    number = int.from_bytes(digest[:16], "big") % 10 ** (CODE_LENGTH - len(CODE_PREFIX))
    return CODE_PREFIX + str(number).zfill(CODE_LENGTH - len(CODE_PREFIX))


def invalid_code(reason: str) -> DomainError:
    return DomainError(
        "INVALID_PAYMENT_CODE",
        f"the payment code {reason}; ask the buyer to "
        "show a new payment code and pay again with a new paymentRequestId",
    )


def check_shape(value: str) -> None:
    """A payment code is digits only; anything else is no code the wallets issue."""
    if not _CODE_SHAPE.fullmatch(value):
        raise invalid_code("is not a wallet payment code (10 to 32 digits)")


def check_usable(code: PaymentCode | None, now_ms: int) -> PaymentCode:
    """The stored code behind a scanned value, if it can still pay; else the result Antom
    gives: INVALID_PAYMENT_CODE for an unknown or used code, EXPIRED_CODE for an old one."""
    if code is None:
        raise invalid_code("is not known")
    if code.used_at is not None:
        raise invalid_code("was already used")
    if code.expires_at <= now_ms:
        raise DomainError(
            "EXPIRED_CODE",
            "the payment code is expired (a code is valid for one minute); ask the buyer "
            "to show a new payment code and pay again with a new paymentRequestId",
        )
    return code


def needs_confirmation(amount_value: int) -> bool:
    return amount_value >= CONFIRM_FROM_VALUE
