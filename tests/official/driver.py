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
``parse_vaulting_notify`` a notifyVaulting body read through AlipayVaultingNotify
``call``           DefaultAlipayClient(gateway_url, client_id, private_key, public_key)
                   .execute(<SDK request built from "params">) for ``api`` in pay,
                   inquiryPayment, cancel, consult, createPaymentSession, payCard (pay
                   with ``paymentMethodMetaData`` / ``paymentMethodId`` and
                   ``paymentFactor``), refund (``isAsyncRefund`` too), inquiryRefund,
                   capture, orderCodePay (OrderCodePaymentRequest), paymentCodePay
                   (UserPresentedCodePaymentRequest, ``paymentCode``),
                   inquireNotificationList, inquireNotification, the vaulting APIs
                   (vaultingSession, vaultPaymentMethod,
                   inquireVaulting; ``classes`` "vaulting" takes the request classes of
                   the SDK's ``request/vaulting`` package instead of ``request/pay``),
                   inquireExchangeRate, or ``raw``
                   capture, acceptDispute, supplyDefenseDocument,
                   downloadDisputeEvidence (``disputeEvidenceType`` the SDK enum's name,
                   TEMPLATE or FILE), or ``raw``
                   (params: {"path", "body"}) -> {"path", "request_body", "raw",
                   "parsed"}; ``parsed`` holds attributes read back through the SDK's
                   own response class (``parse_rsp_body``).
``parse_dispute_notify`` AlipayDisputeNotify(body) -> its attributes by wire name
"""

import json
import sys
import traceback
from enum import Enum

from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
from com.alipay.ams.api.model.amount import Amount
from com.alipay.ams.api.model.card_payment_method_detail import CardPaymentMethodDetail
from com.alipay.ams.api.model.currency_pair import CurrencyPair
from com.alipay.ams.api.model.dispute_evidence_type import DisputeEvidenceType
from com.alipay.ams.api.model.env import Env
from com.alipay.ams.api.model.http_method import HttpMethod
from com.alipay.ams.api.model.merchant import Merchant
from com.alipay.ams.api.model.order import Order
from com.alipay.ams.api.model.payment_factor import PaymentFactor
from com.alipay.ams.api.model.payment_method import PaymentMethod
from com.alipay.ams.api.model.payment_method_detail import PaymentMethodDetail
from com.alipay.ams.api.model.product_code_type import ProductCodeType
from com.alipay.ams.api.model.settlement_strategy import SettlementStrategy
from com.alipay.ams.api.model.store import Store
from com.alipay.ams.api.model.terminal_type import TerminalType
from com.alipay.ams.api.model.user_name import UserName
from com.alipay.ams.api.request.dispute.alipay_accept_dispute_request import (
    AlipayAcceptDisputeRequest,
)
from com.alipay.ams.api.request.dispute.alipay_download_dispute_evidence_request import (
    AlipayDownloadDisputeEvidenceRequest,
)
from com.alipay.ams.api.request.dispute.alipay_supply_defense_document_request import (
    AlipaySupplyDefenseDocumentRequest,
)
from com.alipay.ams.api.request.notification.alipay_inquire_notification_list_request import (
    AlipayInquireNotificationListRequest,
)
from com.alipay.ams.api.request.notification.alipay_inquire_notification_request import (
    AlipayInquireNotificationRequest,
)
from com.alipay.ams.api.request.notify.alipay_dispute_notify import AlipayDisputeNotify
from com.alipay.ams.api.request.notify.alipay_vaulting_notify import AlipayVaultingNotify
from com.alipay.ams.api.request.pay import (
    alipay_vaulting_payment_method_request,
    alipay_vaulting_query_request,
    alipay_vaulting_session_request,
)
from com.alipay.ams.api.request.pay.alipay_capture_request import AlipayCaptureRequest
from com.alipay.ams.api.request.pay.alipay_inquire_exchange_rate_request import (
    AlipayInquireExchangeRateRequest,
)
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
from com.alipay.ams.api.request.pay.order_code_payment_request import OrderCodePaymentRequest
from com.alipay.ams.api.request.pay.user_presented_code_payment_request import (
    UserPresentedCodePaymentRequest,
)
from com.alipay.ams.api.request.vaulting import (
    alipay_vaulting_payment_method_request as vaulting_payment_method_request,
)
from com.alipay.ams.api.request.vaulting import (
    alipay_vaulting_query_request as vaulting_query_request,
)
from com.alipay.ams.api.request.vaulting import (
    alipay_vaulting_session_request as vaulting_session_request,
)
from com.alipay.ams.api.response.alipay_response import AlipayResponse
from com.alipay.ams.api.response.dispute.alipay_accept_dispute_response import (
    AlipayAcceptDisputeResponse,
)
from com.alipay.ams.api.response.dispute.alipay_download_dispute_evidence_response import (
    AlipayDownloadDisputeEvidenceResponse,
)
from com.alipay.ams.api.response.dispute.alipay_supply_defense_document_response import (
    AlipaySupplyDefenseDocumentResponse,
)
from com.alipay.ams.api.response.notification.alipay_inquire_notification_list_response import (
    AlipayInquireNotificationListResponse,
)
from com.alipay.ams.api.response.notification.alipay_inquire_notification_response import (
    AlipayInquireNotificationResponse,
)
from com.alipay.ams.api.response.pay.alipay_capture_response import AlipayCaptureResponse
from com.alipay.ams.api.response.pay.alipay_inquire_exchange_rate_response import (
    AlipayInquireExchangeRateResponse,
)
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
from com.alipay.ams.api.response.pay.alipay_vaulting_payment_method_response import (
    AlipayVaultingPaymentMethodResponse,
)
from com.alipay.ams.api.response.pay.alipay_vaulting_query_response import (
    AlipayVaultingQueryResponse,
)
from com.alipay.ams.api.response.pay.alipay_vaulting_session_response import (
    AlipayVaultingSessionResponse,
)
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


def _store_order(params):
    """An order with the merchant, its store and (for a payment code) the till's env."""
    order = _order(params)
    merchant = Merchant()
    merchant.reference_merchant_id = "M0001"
    merchant.merchant_mcc = "5812"
    merchant.merchant_name = "Corner Cafe"
    store = Store()
    store.reference_store_id = "S0001"
    store.store_name = "Corner Cafe Central"
    store.store_mcc = "5812"
    merchant.store = store
    order.merchant = merchant
    if "storeTerminalId" in params:
        env = Env()
        env.store_terminal_id = params["storeTerminalId"]
        env.store_terminal_request_time = params["storeTerminalRequestTime"]
        order.env = env
    return order


def _build_in_store_pay(params):
    """OrderCodePaymentRequest, or UserPresentedCodePaymentRequest with a ``paymentCode``."""
    amount = params["paymentAmount"]
    head = (params["paymentRequestId"], _store_order(params), amount["currency"], amount["value"])
    notify = params.get("paymentNotifyUrl")
    if "paymentCode" in params:
        return UserPresentedCodePaymentRequest(
            *head, params["paymentCode"], payment_notify_url=notify
        )
    return OrderCodePaymentRequest(*head, payment_notify_url=notify)


def _vaulting_module(params, generated, legacy):
    """The SDK's request class from ``request/pay`` or, with ``classes`` "vaulting", from
    ``request/vaulting`` (both ship in 1.7.1, with the same class names)."""
    return legacy if params.get("classes") == "vaulting" else generated


def _build_vaulting_session(params):
    module = _vaulting_module(params, alipay_vaulting_session_request, vaulting_session_request)
    request = module.AlipayVaultingSessionRequest()
    request.payment_method_type = params.get("paymentMethodType", "CARD")
    request.vaulting_request_id = params["vaultingRequestId"]
    request.vaulting_notification_url = params["vaultingNotificationUrl"]
    request.redirect_url = params["redirectUrl"]
    if params.get("is3DSAuthentication"):
        if params.get("classes") == "vaulting":
            request.is_3D_s_authentication = True
        else:
            request.is3_ds_authentication = True
    return request


def _card_detail(card):
    detail = CardPaymentMethodDetail()
    detail.card_no = card["cardNo"]
    detail.cvv = card.get("cvv")
    detail.expiry_month = card["expiryMonth"]
    detail.expiry_year = card["expiryYear"]
    if "firstName" in card:
        name = UserName()
        name.first_name = card["firstName"]
        name.last_name = card.get("lastName")
        detail.cardholder_name = name
    if card.get("is3DSAuthentication"):
        detail.is3_ds_authentication = True
    method = PaymentMethodDetail()
    method.payment_method_type = "CARD"
    method.card = detail
    return method


def _build_vault_payment_method(params):
    module = _vaulting_module(
        params, alipay_vaulting_payment_method_request, vaulting_payment_method_request
    )
    request = module.AlipayVaultingPaymentMethodRequest()
    request.vaulting_request_id = params["vaultingRequestId"]
    request.vaulting_notification_url = params["vaultingNotificationUrl"]
    request.redirect_url = params["redirectUrl"]
    request.payment_method_detail = _card_detail(params["card"])
    request.env = _env(params)
    return request


def _build_inquire_vaulting(params):
    module = _vaulting_module(params, alipay_vaulting_query_request, vaulting_query_request)
    request = module.AlipayVaultingQueryRequest()
    request.vaulting_request_id = params["vaultingRequestId"]
    return request


def _build_inquire_exchange_rate(params):
    request = AlipayInquireExchangeRateRequest()
    if "productCode" in params:
        request.product_code = ProductCodeType.value_of(params["productCode"])
    request.sell_currency = params.get("sellCurrency")
    request.buy_currency = params.get("buyCurrency")
    request.payment_currency = params.get("paymentCurrency")
    if "currencyPairs" in params:
        pairs = []
        for pair in params["currencyPairs"]:
            model = CurrencyPair()
            model.sell_currency = pair["sellCurrency"]
            model.buy_currency = pair["buyCurrency"]
            pairs.append(model)
        request.currency_pairs = pairs
    return request


def _build_accept_dispute(params):
    request = AlipayAcceptDisputeRequest()
    request.dispute_id = params["disputeId"]
    return request


def _build_supply_defense(params):
    request = AlipaySupplyDefenseDocumentRequest()
    request.dispute_id = params["disputeId"]
    request.dispute_evidence = params["disputeEvidence"]
    return request


def _build_download_evidence(params):
    request = AlipayDownloadDisputeEvidenceRequest()
    request.dispute_id = params["disputeId"]
    request.dispute_evidence_type = DisputeEvidenceType[params["disputeEvidenceType"]]
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


def _build_notification_list(params):
    request = AlipayInquireNotificationListRequest()
    request.notify_type = params.get("notifyType")
    request.event_create_time_from = params.get("eventCreateTimeFrom")
    request.event_create_time_to = params.get("eventCreateTimeTo")
    request.limit = params.get("limit")
    request.starting_after = params.get("startingAfter")
    return request


def _build_notification(params):
    request = AlipayInquireNotificationRequest()
    request.event_id = params.get("eventId")
    return request


def _event(event):
    return (
        None
        if event is None
        else {
            "eventId": event.event_id,
            "notifyType": event.notify_type,
            "eventCreateTime": event.event_create_time,
            "deliveryStatus": event.delivery_status,
            "notificationData": event.notification_data,
        }
    )


def _parse_notification_list(raw):
    r = AlipayInquireNotificationListResponse(raw)
    parsed = _read(r, "has_more", "next_starting_after")
    parsed["notifications"] = [_event(e) for e in r.notifications or []]
    return parsed


def _parse_notification(raw):
    r = AlipayInquireNotificationResponse(raw)
    parsed = _read(r)
    parsed["notification"] = _event(r.notification)
    return parsed


def _card_read(detail):
    """paymentMethodDetail read back through the SDK's models."""
    if detail is None:
        return None
    card = detail.card
    read = {"paymentMethodType": detail.payment_method_type, "card": None}
    if card is not None:
        holder = card.cardholder_name
        read["card"] = {
            "cardToken": card.card_token,
            "maskedCardNo": card.masked_card_no,
            "brand": _plain(card.brand),
            "lastFour": card.last_four,
            "expiryMonth": card.expiry_month,
            "expiryYear": card.expiry_year,
            "holder": holder.full_name if holder is not None else None,
        }
    return read


def _parse_vaulting_session(raw):
    return _read(
        AlipayVaultingSessionResponse(raw),
        "vaulting_session_data",
        "vaulting_session_id",
        "vaulting_session_expiry_time",
        "normal_url",
    )


def _parse_vault_payment_method(raw):
    r = AlipayVaultingPaymentMethodResponse(raw)
    parsed = _read(r, "vaulting_request_id", "normal_url")
    parsed["paymentMethodDetail"] = _card_read(r.payment_method_detail)
    return parsed


def _parse_inquire_vaulting(raw):
    r = AlipayVaultingQueryResponse(raw)
    parsed = _read(
        r,
        "vaulting_request_id",
        "vaulting_status",
        "vaulting_result_code",
        "vaulting_result_message",
        "normal_url",
    )
    parsed["paymentMethodDetail"] = _card_read(r.payment_method_detail)
    return parsed


def _parse_inquire_exchange_rate(raw):
    r = AlipayInquireExchangeRateResponse(raw)
    quotes = [
        {
            "quoteId": q.quote_id,
            "quoteCurrencyPair": q.quote_currency_pair,
            "quotePrice": q.quote_price,
            "quotePriceType": type(q.quote_price).__name__,
            "quoteStartTime": q.quote_start_time,
            "quoteExpiryTime": q.quote_expiry_time,
        }
        for q in r.quotes or []
    ]
    payment_quotes = [
        {
            "sellCurrency": q.sell_currency,
            "buyCurrency": q.buy_currency,
            "quoteId": q.quote_id,
            "exchangeRate": q.exchange_rate,
        }
        for q in r.payment_quotes or []
    ]
    return {"result": _result(r), "quotes": quotes, "paymentQuotes": payment_quotes}


def _parse_accept_dispute(raw):
    return _read(AlipayAcceptDisputeResponse(raw), "dispute_id", "dispute_resolution_time")


def _parse_supply_defense(raw):
    return _read(AlipaySupplyDefenseDocumentResponse(raw), "dispute_id", "dispute_resolution_time")


def _parse_download_evidence(raw):
    return _read(
        AlipayDownloadDisputeEvidenceResponse(raw), "dispute_evidence", "dispute_evidence_format"
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
    "inquireNotificationList": (_build_notification_list, _parse_notification_list),
    "inquireNotification": (_build_notification, _parse_notification),
    "orderCodePay": (_build_in_store_pay, _parse_pay),
    "paymentCodePay": (_build_in_store_pay, _parse_pay),
    "vaultingSession": (_build_vaulting_session, _parse_vaulting_session),
    "vaultPaymentMethod": (_build_vault_payment_method, _parse_vault_payment_method),
    "inquireVaulting": (_build_inquire_vaulting, _parse_inquire_vaulting),
    "inquireExchangeRate": (_build_inquire_exchange_rate, _parse_inquire_exchange_rate),
    "acceptDispute": (_build_accept_dispute, _parse_accept_dispute),
    "supplyDefenseDocument": (_build_supply_defense, _parse_supply_defense),
    "downloadDisputeEvidence": (_build_download_evidence, _parse_download_evidence),
    "raw": (lambda params: RawRequest(params["path"], params["body"]), _parse_raw),
}

DISPUTE_NOTIFY_ATTRIBUTES = (
    "payment_request_id",
    "dispute_id",
    "payment_id",
    "dispute_time",
    "dispute_amount",
    "dispute_notification_type",
    "dispute_reason_msg",
    "dispute_judged_time",
    "dispute_judged_amount",
    "dispute_judged_result",
    "defense_due_time",
    "dispute_reason_code",
    "dispute_accept_reason",
    "dispute_accept_time",
    "dispute_type",
    "defense_supplied_time",
)


def op_parse_dispute_notify(cmd):
    notify = AlipayDisputeNotify(cmd["body"])
    parsed = {_camel(name): _plain(getattr(notify, name)) for name in DISPUTE_NOTIFY_ATTRIBUTES}
    parsed["notifyType"] = notify.notify_type
    return parsed


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


def op_parse_vaulting_notify(cmd):
    notify = AlipayVaultingNotify(cmd["body"])
    result = notify.result
    return {
        "notifyType": notify.notify_type,
        "resultCode": result.result_code if result is not None else None,
        "resultStatus": _plain(result.result_status) if result is not None else None,
        "vaultingRequestId": notify.vaulting_request_id,
        "vaultingCreateTime": notify.vaulting_create_time,
        "paymentMethodDetail": _card_read(notify.payment_method_detail),
    }


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
    "parse_vaulting_notify": op_parse_vaulting_notify,
    "parse_dispute_notify": op_parse_dispute_notify,
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
