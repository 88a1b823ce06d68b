"""Drive the official ``global-open-sdk-python==1.7.1`` from a subprocess.

Runs INSIDE ``.venv-official`` (never imported by the test suite, never imports
openams)::

    .venv-official/bin/python tests/official/driver.py < commands.json

stdin is one JSON document ``{"commands": [{"op": ..., ...}, ...]}``; stdout is
``{"results": [...]}`` with one result per command, in order. Any exception the
SDK raises is caught and reported as ``{"error": "<Type>: <message>"}`` so tests
can assert on it; the driver itself exits 0 unless its input is unreadable.

Operations:

``sign``           signature_tool.sign(method, path, client_id, time, body, private_key)
                   -> {"signature": <url-encoded value>}
``verify``         signature_tool.verify(method, path, client_id, time, body, signature,
                   public_key) -> {"valid": bool}
``webhook_check``  webhook_tool.check_signature(method, path, client_id, time, body,
                   signature_header, public_key) -> {"valid": bool}
``verify_response`` the client's own response path: DefaultAlipayClient.__parse_header
                   over ``headers`` (a list of [name, value] pairs, as http.client gives
                   them) then __assert_response_verified -> {"verified": true, ...}
``call``           DefaultAlipayClient(gateway_url, client_id, private_key, public_key)
                   .execute(<SDK request built from "params">) for ``api`` in pay,
                   inquiryPayment, cancel, consult, createPaymentSession, payCard (pay
                   with ``paymentMethodMetaData`` / ``paymentMethodId`` and
                   ``paymentFactor``), refund (``isAsyncRefund`` too), inquiryRefund,
                   capture, or ``raw``
                   (params: {"path", "body"}) -> {"path", "request_body", "raw",
                   "parsed"}; ``parsed`` holds attributes read back through the SDK's
                   own response class (``parse_rsp_body``).
"""

import json
import sys
import traceback
from enum import Enum

from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
from com.alipay.ams.api.model.amount import Amount
from com.alipay.ams.api.model.env import Env
from com.alipay.ams.api.model.http_method import HttpMethod
from com.alipay.ams.api.model.order import Order
from com.alipay.ams.api.model.payment_factor import PaymentFactor
from com.alipay.ams.api.model.payment_method import PaymentMethod
from com.alipay.ams.api.model.product_code_type import ProductCodeType
from com.alipay.ams.api.model.settlement_strategy import SettlementStrategy
from com.alipay.ams.api.model.terminal_type import TerminalType
from com.alipay.ams.api.request.pay.alipay_capture_request import AlipayCaptureRequest
from com.alipay.ams.api.request.pay.alipay_inquiry_refund_request import (
    AlipayInquiryRefundRequest,
)
from com.alipay.ams.api.request.pay.alipay_pay_cancel_request import AlipayPayCancelRequest
from com.alipay.ams.api.request.pay.alipay_pay_consult_request import AlipayPayConsultRequest
from com.alipay.ams.api.request.pay.alipay_pay_query_request import AlipayPayQueryRequest
from com.alipay.ams.api.request.pay.alipay_pay_request import AlipayPayRequest
from com.alipay.ams.api.request.pay.alipay_payment_session_request import (
    AlipayPaymentSessionRequest,
)
from com.alipay.ams.api.request.pay.alipay_refund_request import AlipayRefundRequest
from com.alipay.ams.api.response.alipay_response import AlipayResponse
from com.alipay.ams.api.response.pay.alipay_capture_response import AlipayCaptureResponse
from com.alipay.ams.api.response.pay.alipay_inquiry_refund_response import (
    AlipayInquiryRefundResponse,
)
from com.alipay.ams.api.response.pay.alipay_pay_cancel_response import AlipayPayCancelResponse
from com.alipay.ams.api.response.pay.alipay_pay_consult_response import (
    AlipayPayConsultResponse,
)
from com.alipay.ams.api.response.pay.alipay_pay_query_response import AlipayPayQueryResponse
from com.alipay.ams.api.response.pay.alipay_pay_response import AlipayPayResponse
from com.alipay.ams.api.response.pay.alipay_payment_session_response import (
    AlipayPaymentSessionResponse,
)
from com.alipay.ams.api.response.pay.alipay_refund_response import AlipayRefundResponse
from com.alipay.ams.api.tools import signature_tool, webhook_tool


def _plain(value):
    """SDK objects -> JSON-able values (enums by value, models through to_ams_dict)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "to_ams_dict"):
        return _plain(value.to_ams_dict())
    return value


def _amount(data):
    if data is None:
        return None
    return Amount(currency=data["currency"], value=data["value"])


def _model_from(params, key, model_class, attribute, convert=lambda value: value):
    """``model_class()`` with ``attribute`` set from ``params[key]``; None without the key."""
    if key not in params:
        return None
    model = model_class()
    setattr(model, attribute, convert(params[key]))
    return model


def _env(params):
    return _model_from(params, "terminalType", Env, "terminal_type", TerminalType.value_of)


def _order(params):
    order = Order()
    order.reference_order_id = params.get("referenceOrderId", params["paymentRequestId"])
    order.order_description = params.get("orderDescription", "openams official SDK test")
    order.order_amount = _amount(params["paymentAmount"])
    return order


def _settlement(params):
    return _model_from(params, "settlementCurrency", SettlementStrategy, "settlement_currency")


def _payment_method(params):
    method = _model_from(params, "paymentMethodType", PaymentMethod, "payment_method_type")
    if method is not None and "paymentMethodId" in params:
        method.payment_method_id = params["paymentMethodId"]
    return method


DEFAULT_REDIRECT_URL = "https://shop.example/return"


def _with_amount_terms(request, params):
    """productCode, paymentAmount, env and settlementStrategy: pay, session and consult."""
    request.product_code = ProductCodeType.value_of(params.get("productCode", "CASHIER_PAYMENT"))
    request.payment_amount = _amount(params["paymentAmount"])
    request.env = _env(params)
    request.settlement_strategy = _settlement(params)
    return request


def _with_checkout(request, params):
    """The amount terms plus the order, payment method and URLs: pay and session."""
    _with_amount_terms(request, params)
    request.payment_request_id = params["paymentRequestId"]
    request.order = _order(params)
    request.payment_method = _payment_method(params)
    request.payment_redirect_url = params.get("paymentRedirectUrl", DEFAULT_REDIRECT_URL)
    if "paymentNotifyUrl" in params:
        request.payment_notify_url = params["paymentNotifyUrl"]
    return request


def _payment_lookup(request_class):
    """A builder for the requests that name a payment by paymentRequestId / paymentId."""

    def build(params):
        request = request_class()
        request.payment_request_id = params.get("paymentRequestId")
        request.payment_id = params.get("paymentId")
        return request

    return build


def _build_pay(params):
    return _with_checkout(AlipayPayRequest(), params)


def _build_session(params):
    request = _with_checkout(AlipayPaymentSessionRequest(), params)
    if "productScene" in params:
        request.product_scene = params["productScene"]
    return request


def _build_consult(params):
    request = _with_amount_terms(AlipayPayConsultRequest(), params)
    if "allowedPaymentMethodRegions" in params:
        request.allowed_payment_method_regions = params["allowedPaymentMethodRegions"]
    return request


def _build_pay_card(params):
    """pay with server-to-server card data or a cardToken, and a paymentFactor."""
    request = _build_pay(params)
    if "paymentMethodMetaData" in params:
        request.payment_method.payment_method_meta_data = params["paymentMethodMetaData"]
    if "isAuthorization" in params or "captureMode" in params:
        factor = PaymentFactor()
        factor.is_authorization = params.get("isAuthorization")
        factor.capture_mode = params.get("captureMode")
        request.payment_factor = factor
    return request


def _build_refund(params):
    request = AlipayRefundRequest()
    request.refund_request_id = params["refundRequestId"]
    request.payment_id = params["paymentId"]
    request.refund_amount = _amount(params["refundAmount"])
    request.refund_reason = params.get("refundReason")
    request.refund_notify_url = params.get("refundNotifyUrl")
    request.reference_refund_id = params.get("referenceRefundId")
    if "isAsyncRefund" in params:
        request.is_async_refund = params["isAsyncRefund"]
    return request


def _build_inquiry_refund(params):
    request = AlipayInquiryRefundRequest()
    request.refund_request_id = params.get("refundRequestId")
    request.refund_id = params.get("refundId")
    return request


def _build_capture(params):
    request = AlipayCaptureRequest()
    request.capture_request_id = params["captureRequestId"]
    request.payment_id = params["paymentId"]
    request.capture_amount = _amount(params["captureAmount"])
    if "isLastCapture" in params:
        request.is_last_capture = params["isLastCapture"]
    return request


class RawRequest:
    """The smallest thing DefaultAlipayClient.execute accepts: path, method, body."""

    def __init__(self, path, body):
        self.path = path
        self.http_method = HttpMethod.POST
        self.key_version = None
        self._body = body

    def to_ams_json(self):
        return json.dumps(self._body, indent=3)


def _result(response):
    result = response.result
    if result is None:
        return {}
    return {
        "resultCode": result.result_code,
        "resultStatus": _plain(result.result_status),
        "resultMessage": result.result_message,
    }


def _camel(attribute):
    head, *rest = attribute.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _read(response, *attributes):
    """``result`` plus each attribute of an SDK response, under its wire (camelCase) name."""
    parsed = {"result": _result(response)}
    for attribute in attributes:
        parsed[_camel(attribute)] = _plain(getattr(response, attribute))
    return parsed


def _parse_pay(raw):
    r = AlipayPayResponse(raw)
    parsed = _read(
        r,
        "payment_id",
        "payment_request_id",
        "payment_amount",
        "payment_create_time",
        "payment_time",
        "normal_url",
        "applink_url",
        "scheme_url",
        "order_code_form",
    )
    form = r.redirect_action_form
    parsed["redirectUrl"] = form.redirect_url if form is not None else None
    return parsed


def _settled(response, parsed, *attributes):
    """``parsed`` plus the SDK's settlement objects, and the Python type the SDK gave
    ``settlementQuote.quotePrice`` (a float from a JSON number, a str from a string)."""
    for attribute in ("gross_settlement_amount", "settlement_quote", *attributes):
        parsed[_camel(attribute)] = _plain(getattr(response, attribute, None))
    quote = getattr(response, "settlement_quote", None)
    price = quote.quote_price if quote is not None else None
    parsed["quotePriceType"] = None if price is None else type(price).__name__
    return parsed


def _parse_query(raw):
    r = AlipayPayQueryResponse(raw)
    parsed = _read(
        r,
        "payment_status",
        "payment_result_code",
        "payment_id",
        "payment_request_id",
        "payment_amount",
        "payment_create_time",
        "payment_time",
        "transactions",
    )
    return _settled(r, parsed, "actual_payment_amount", "customs_declaration_amount")


def _parse_cancel(raw):
    return _read(AlipayPayCancelResponse(raw), "payment_id", "payment_request_id", "cancel_time")


def _parse_consult(raw):
    r = AlipayPayConsultResponse(raw)
    options = r.payment_options or []
    return {
        "result": _result(r),
        "paymentOptions": [
            {
                "paymentMethodType": o.payment_method_type,
                "paymentMethodCategory": _plain(o.payment_method_category),
                "enabled": o.enabled,
            }
            for o in options
        ],
    }


def _parse_session(raw):
    return _read(
        AlipayPaymentSessionResponse(raw),
        "payment_session_data",
        "payment_session_id",
        "payment_session_expiry_time",
        "normal_url",
    )


def _parse_pay_card(raw):
    r = AlipayPayResponse(raw)
    parsed = _parse_pay(raw)
    parsed["authExpiryTime"] = r.auth_expiry_time
    info = r.payment_result_info
    if info is not None:
        three_ds = info.three_ds_result
        parsed["paymentResultInfo"] = {
            "cardNo": info.card_no,
            "cardBrand": info.card_brand,
            "cardToken": info.card_token,
            "cardBin": info.card_bin,
            "lastFour": info.last_four,
            "funding": _plain(info.funding),
            "issuingCountry": info.issuing_country,
            "challenged": three_ds.challenged if three_ds is not None else None,
        }
    return parsed


def _parse_refund(raw):
    r = AlipayRefundResponse(raw)
    parsed = _read(
        r,
        "refund_request_id",
        "refund_id",
        "payment_id",
        "refund_amount",
        "refund_time",
    )
    return _settled(r, parsed)


def _parse_inquiry_refund(raw):
    r = AlipayInquiryRefundResponse(raw)
    parsed = _read(
        r,
        "refund_id",
        "refund_request_id",
        "refund_amount",
        "refund_status",
        "refund_time",
    )
    return _settled(r, parsed)


def _parse_capture(raw):
    return _read(
        AlipayCaptureResponse(raw),
        "capture_request_id",
        "capture_id",
        "payment_id",
        "capture_amount",
        "capture_time",
    )


def _parse_raw(raw):
    r = AlipayResponse()
    r.parse_rsp_body(raw)
    return {"result": _result(r)}


APIS = {
    "pay": (_build_pay, _parse_pay),
    "inquiryPayment": (_payment_lookup(AlipayPayQueryRequest), _parse_query),
    "cancel": (_payment_lookup(AlipayPayCancelRequest), _parse_cancel),
    "consult": (_build_consult, _parse_consult),
    "createPaymentSession": (_build_session, _parse_session),
    "payCard": (_build_pay_card, _parse_pay_card),
    "refund": (_build_refund, _parse_refund),
    "inquiryRefund": (_build_inquiry_refund, _parse_inquiry_refund),
    "capture": (_build_capture, _parse_capture),
    "raw": (lambda params: RawRequest(params["path"], params["body"]), _parse_raw),
}


def _signed_message(cmd):
    """method, path, client-id, time and body: what every signature covers, in SDK order."""
    return (cmd.get("method", "POST"), cmd["path"], cmd["client_id"], cmd["time"], cmd["body"])


def op_sign(cmd):
    return {"signature": signature_tool.sign(*_signed_message(cmd), cmd["private_key"])}


def op_verify(cmd):
    valid = signature_tool.verify(*_signed_message(cmd), cmd["signature"], cmd["public_key"])
    return {"valid": bool(valid)}


def op_webhook_check(cmd):
    valid = webhook_tool.check_signature(
        *_signed_message(cmd), cmd["signature_header"], cmd["public_key"]
    )
    return {"valid": bool(valid)}


def op_verify_response(cmd):
    client = DefaultAlipayClient("https://unused.invalid", cmd["client_id"], "", cmd["public_key"])
    headers = [tuple(pair) for pair in cmd["headers"]]
    signature, response_time, client_id = client._DefaultAlipayClient__parse_header(headers)
    client._DefaultAlipayClient__assert_response_verified(
        cmd.get("method", "POST"), cmd["path"], client_id, response_time, cmd["body"], signature
    )
    return {"verified": True, "signature": signature, "client_id": client_id}


def op_call(cmd):
    build, parse = APIS[cmd["api"]]
    client = DefaultAlipayClient(
        cmd["gateway_url"], cmd["client_id"], cmd["private_key"], cmd["public_key"]
    )
    request = build(cmd.get("params", {}))
    request_body = request.to_ams_json()
    raw = client.execute(request)  # raises unless the response signature verifies
    return {
        "path": request.path,
        "request_body": request_body,
        "raw": json.loads(raw),
        "parsed": parse(raw),
    }


OPS = {
    "sign": op_sign,
    "verify": op_verify,
    "webhook_check": op_webhook_check,
    "verify_response": op_verify_response,
    "call": op_call,
}


def run(cmd):
    try:
        return OPS[cmd["op"]](cmd)
    except Exception as exc:
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=4),
        }


def main():
    document = json.load(sys.stdin)
    results = [run(cmd) for cmd in document["commands"]]
    json.dump({"results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
