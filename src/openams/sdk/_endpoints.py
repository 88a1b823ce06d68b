"""The AMS endpoints as data: method name -> path + request model + response model.

Every typed client method is ``core.call(ENDPOINT, body)``; adding an API is one line here
and one ``name = ApiMethod(ENDPOINT)`` line on the clients' shared base (``_client.py``),
which serves ``Client`` and ``AsyncClient`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openams.protocol import models
from openams.sdk._config import (
    PRODUCTION_PATH_PREFIX,
    SANDBOX_CLIENT_ID_PREFIX,
    SANDBOX_PATH_PREFIX,
)

ReqT = TypeVar("ReqT", bound=models.WireModel)
RespT = TypeVar("RespT", bound=models.Response)


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[ReqT, RespT]):
    name: str
    path: str
    request_model: type[ReqT]
    response_model: type[RespT]


PAY = Endpoint("pay", "/ams/api/v1/payments/pay", models.PayRequest, models.PayResponse)
INQUIRY_PAYMENT = Endpoint(
    "inquiry_payment",
    "/ams/api/v1/payments/inquiryPayment",
    models.InquiryPaymentRequest,
    models.InquiryPaymentResponse,
)
CANCEL = Endpoint(
    "cancel", "/ams/api/v1/payments/cancel", models.CancelRequest, models.CancelResponse
)
REFUND = Endpoint(
    "refund", "/ams/api/v1/payments/refund", models.RefundRequest, models.RefundResponse
)
INQUIRY_REFUND = Endpoint(
    "inquiry_refund",
    "/ams/api/v1/payments/inquiryRefund",
    models.InquiryRefundRequest,
    models.InquiryRefundResponse,
)
CAPTURE = Endpoint(
    "capture", "/ams/api/v1/payments/capture", models.CaptureRequest, models.CaptureResponse
)
CONSULT = Endpoint(
    "consult", "/ams/api/v1/payments/consult", models.ConsultRequest, models.ConsultResponse
)
CREATE_PAYMENT_SESSION = Endpoint(
    "create_payment_session",
    "/ams/api/v1/payments/createPaymentSession",
    models.CreatePaymentSessionRequest,
    models.CreatePaymentSessionResponse,
)

#: Client method name -> endpoint.
ENDPOINTS: dict[str, Endpoint[Any, Any]] = {
    endpoint.name: endpoint
    for endpoint in (
        PAY,
        INQUIRY_PAYMENT,
        CANCEL,
        REFUND,
        INQUIRY_REFUND,
        CAPTURE,
        CONSULT,
        CREATE_PAYMENT_SESSION,
    )
}


def is_sandbox_client_id(client_id: str) -> bool:
    return client_id.startswith(SANDBOX_CLIENT_ID_PREFIX)


def resolve_path(path: str, *, sandbox: bool) -> str:
    """The path to send and sign: ``/ams/api/...`` becomes ``/ams/sandbox/api/...`` in sandbox.

    Like the official SDK, the rewrite happens before signing; paths outside ``/ams/api/``
    (and paths already under the sandbox prefix) are left alone.
    """
    if sandbox and path.startswith(PRODUCTION_PATH_PREFIX):
        return SANDBOX_PATH_PREFIX + path[len(PRODUCTION_PATH_PREFIX) :]
    return path
