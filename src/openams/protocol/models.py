"""pydantic v2 wire models shared by the sdk and the gateway.

JSON names are camelCase; absent fields are omitted on output, never ``null``.
Unknown fields are kept (``extra="allow"``), so a model round-trips what it does
not know. Scalars are lenient on input the way Antom is: numbers become strings,
``"true"`` becomes ``True``. Requiredness that depends on the product code is
checked by the gateway, not here, so every documented sample parses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

Str64 = Annotated[str, StringConstraints(max_length=64)]
Str256 = Annotated[str, StringConstraints(max_length=256)]
Url = Annotated[str, StringConstraints(max_length=2048)]


_CONTAINERS = (dict, list)


def _drop_none(value: Any) -> Any:
    # Containers only are visited: a call per leaf value cost more than the walk.
    if isinstance(value, dict):
        return {
            k: _drop_none(v) if isinstance(v, _CONTAINERS) else v
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list):
        return [_drop_none(v) if isinstance(v, _CONTAINERS) else v for v in value if v is not None]
    return value


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        coerce_numbers_to_str=True,
        serialize_by_alias=True,
    )

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict: camelCase keys, absent fields left out.

        ``null`` never reaches the wire, not even inside free-form objects
        (``paymentMethodMetaData``) or unknown fields kept from the input: the
        official SDK's response parsers raise on ``null`` objects and arrays.
        """
        dumped: dict[str, Any] = _drop_none(
            self.model_dump(by_alias=True, exclude_none=True, mode="json")
        )
        return dumped


class Result(WireModel):
    result_code: str
    result_status: Literal["S", "F", "U"]
    result_message: str | None = None


class Amount(WireModel):
    currency: str
    value: str


class Quote(WireModel):
    quote_id: str | None = None
    quote_currency_pair: str | None = None
    #: A JSON number on the wire (Antom's SDKs type it as one), read as ``Decimal``;
    #: a numeric string is accepted too.
    quote_price: Decimal | None = None
    quote_start_time: str | None = None
    quote_expiry_time: str | None = None
    guaranteed: bool | None = None


class Address(WireModel):
    region: str | None = None
    state: str | None = None
    city: str | None = None
    address1: str | None = None
    address2: str | None = None
    zip_code: str | None = None


class UserName(WireModel):
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None


class Env(WireModel):
    terminal_type: str | None = None
    os_type: str | None = None
    user_agent: str | None = None
    device_token_id: str | None = None
    client_ip: str | None = None
    cookie_id: str | None = None
    store_terminal_id: str | None = None
    store_terminal_request_time: str | None = None
    device_language: str | None = None


class Store(WireModel):
    reference_store_id: str | None = None
    store_name: str | None = None
    store_mcc: str | None = Field(
        default=None,
        validation_alias=AliasChoices("storeMCC", "storeMcc", "store_mcc"),
        serialization_alias="storeMCC",
    )
    store_terminal_id: str | None = None


class Merchant(WireModel):
    reference_merchant_id: str | None = None
    merchant_mcc: str | None = Field(
        default=None,
        validation_alias=AliasChoices("merchantMCC", "merchantMcc", "merchant_mcc"),
        serialization_alias="merchantMCC",
    )
    merchant_name: str | None = None
    merchant_display_name: str | None = None
    merchant_address: Address | None = None
    store: Store | None = None


class Buyer(WireModel):
    reference_buyer_id: Str64 | None = None
    buyer_name: UserName | None = None
    buyer_phone_no: str | None = None
    buyer_email: str | None = None


class Goods(WireModel):
    reference_goods_id: str | None = None
    goods_name: str | None = None
    goods_category: str | None = None
    goods_brand: str | None = None
    goods_unit_amount: Amount | None = None
    goods_quantity: str | None = None
    goods_url: str | None = None


class Order(WireModel):
    reference_order_id: Str64 | None = None
    order_description: Str256 | None = None
    order_amount: Amount | None = None
    merchant: Merchant | None = None
    goods: list[Goods] | None = None
    buyer: Buyer | None = None
    env: Env | None = None
    #: A JSON-encoded string on the wire, though samples also show an object.
    extend_info: str | dict[str, Any] | None = None


class PaymentMethod(WireModel):
    payment_method_type: Str64
    payment_method_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    payment_method_meta_data: dict[str, Any] | None = None
    customer_id: str | None = None
    extend_info: str | None = None


class PaymentFactor(WireModel):
    is_authorization: bool | None = None
    capture_mode: str | None = None
    in_store_payment_scenario: str | None = None
    presentment_mode: str | None = None
    store_payment_method_for_buyer: bool | None = None


class SettlementStrategy(WireModel):
    settlement_currency: str | None = None


class RedirectActionForm(WireModel):
    method: str | None = None
    parameters: str | None = None
    redirect_url: str | None = None
    action_form_type: str | None = None


class CodeDetail(WireModel):
    code_value_type: str | None = None
    code_value: str
    display_type: str


class OrderCodeForm(WireModel):
    payment_method_type: str | None = None
    expire_time: str | None = None
    code_details: list[CodeDetail]
    extend_info: str | None = None


class ThreeDSResult(WireModel):
    three_ds_version: str | None = Field(default=None, alias="threeDSVersion")
    eci: str | None = None
    cavv: str | None = None
    challenged: bool | None = None
    liability_shift: bool | None = None


class PaymentResultInfo(WireModel):
    card_no: str | None = None
    card_brand: str | None = None
    card_token: str | None = None
    issuing_country: str | None = None
    funding: str | None = None
    payment_method_region: str | None = None
    three_ds_result: ThreeDSResult | None = Field(default=None, alias="threeDSResult")
    card_bin: str | None = None
    last_four: str | None = None
    expiry_month: str | None = None
    expiry_year: str | None = None
    cardholder_name: str | None = None


class Transaction(WireModel):
    transaction_result: Result | None = None
    transaction_id: str | None = None
    transaction_type: str | None = None
    transaction_status: str | None = None
    transaction_amount: Amount | None = None
    transaction_request_id: str | None = None
    transaction_time: str | None = None


class Logo(WireModel):
    logo_name: str | None = None
    logo_url: str | None = None


class SupportCardBrand(WireModel):
    card_brand: str | None = None
    logo: Logo | None = None


class PaymentOptionDetail(WireModel):
    support_card_brands: list[SupportCardBrand] | None = None
    #: Card funding types taken (``CREDIT``, ``DEBIT``): a list here, a string in
    #: ``paymentResultInfo.funding``.
    funding: list[str] | None = None


class PaymentOption(WireModel):
    payment_method_type: str
    payment_method_category: str | None = None
    payment_method_region: list[str] | None = None
    enabled: bool | None = None
    preferred: bool | None = None
    disable_reason: str | None = None
    supported_currencies: list[str] | None = None
    logo: Logo | None = None
    payment_option_detail: PaymentOptionDetail | None = None


# ---------------------------------------------------------------- requests


class PayRequest(WireModel):
    product_code: Str64
    payment_request_id: Str64
    order: Order
    payment_amount: Amount
    payment_method: PaymentMethod
    payment_redirect_url: Url | None = None
    payment_notify_url: Url | None = None
    env: Env | None = None
    settlement_strategy: SettlementStrategy | None = None
    payment_expiry_time: str | None = None
    payment_factor: PaymentFactor | None = None
    merchant_account_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    user_region: str | None = None
    locale: Annotated[str, StringConstraints(max_length=8)] | None = None
    extend_info: str | None = None


class InquiryPaymentRequest(WireModel):
    payment_request_id: Str64 | None = None
    payment_id: Str64 | None = None
    merchant_account_id: str | None = None


class CancelRequest(WireModel):
    payment_request_id: Str64 | None = None
    payment_id: Str64 | None = None
    merchant_account_id: str | None = None


class ConsultRequest(WireModel):
    product_code: Str64
    payment_amount: Amount
    env: Env | None = None
    merchant_region: str | None = None
    user_region: str | None = None
    allowed_payment_method_regions: list[str] | None = None
    allowed_payment_methods: list[str] | None = None
    blocked_payment_methods: list[str] | None = None
    settlement_strategy: SettlementStrategy | None = None
    payment_factor: PaymentFactor | None = None
    merchant_account_id: str | None = None


class CreatePaymentSessionRequest(WireModel):
    product_code: Str64
    payment_request_id: Str64
    order: Order
    payment_amount: Amount
    payment_redirect_url: Url | None = None
    payment_notify_url: Url | None = None
    payment_method: PaymentMethod | None = None
    settlement_strategy: SettlementStrategy | None = None
    payment_factor: PaymentFactor | None = None
    payment_session_expiry_time: str | None = None
    payment_expiry_time: str | None = None
    product_scene: str | None = None
    env: Env | None = None
    locale: Annotated[str, StringConstraints(max_length=8)] | None = None
    merchant_account_id: str | None = None


class RefundRequest(WireModel):
    refund_request_id: Str64
    payment_id: Str64
    refund_amount: Amount
    reference_refund_id: Str64 | None = None
    refund_reason: Str256 | None = None
    refund_notify_url: Annotated[str, StringConstraints(max_length=1024)] | None = None
    capture_id: Str64 | None = None
    #: ``isAsyncRefund``: answer ``U/REFUND_IN_PROCESS`` now and the result later
    is_async_refund: bool | None = None


class InquiryRefundRequest(WireModel):
    refund_request_id: Str64 | None = None
    refund_id: Str64 | None = None
    merchant_account_id: str | None = None


class CaptureRequest(WireModel):
    capture_request_id: Str64
    payment_id: Str64
    capture_amount: Amount
    is_last_capture: bool | None = None


# ---------------------------------------------------------------- responses


class InquireNotificationListRequest(WireModel):
    notify_type: list[str] | None = None
    event_create_time_from: str | None = None
    event_create_time_to: str | None = None
    limit: int | None = None
    starting_after: str | None = None


class InquireNotificationRequest(WireModel):
    event_id: Str64


class Response(WireModel):
    result: Result


class PayResponse(Response):
    payment_request_id: str | None = None
    payment_id: str | None = None
    payment_amount: Amount | None = None
    payment_create_time: str | None = None
    payment_time: str | None = None
    auth_expiry_time: str | None = None
    normal_url: str | None = None
    scheme_url: str | None = None
    applink_url: str | None = None
    app_identifier: str | None = None
    redirect_action_form: RedirectActionForm | None = None
    order_code_form: OrderCodeForm | None = None
    #: A JSON-encoded string, as Antom sends it.
    payment_action_form: str | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None
    payment_result_info: PaymentResultInfo | None = None


class InquiryPaymentResponse(Response):
    payment_status: str | None = None
    payment_result_code: str | None = None
    payment_result_message: str | None = None
    payment_request_id: str | None = None
    payment_id: str | None = None
    payment_amount: Amount | None = None
    payment_create_time: str | None = None
    payment_time: str | None = None
    payment_method_type: str | None = None
    actual_payment_amount: Amount | None = None
    customs_declaration_amount: Amount | None = None
    auth_expiry_time: str | None = None
    redirect_action_form: RedirectActionForm | None = None
    payment_result_info: PaymentResultInfo | None = None
    transactions: list[Transaction] | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None


class CancelResponse(Response):
    payment_id: str | None = None
    payment_request_id: str | None = None
    cancel_time: str | None = None


class ConsultResponse(Response):
    payment_options: list[PaymentOption] | None = None


class CreatePaymentSessionResponse(Response):
    payment_session_data: str | None = None
    payment_session_expiry_time: str | None = None
    payment_session_id: str | None = None
    normal_url: str | None = None


class RefundResponse(Response):
    refund_request_id: str | None = None
    refund_id: str | None = None
    payment_id: str | None = None
    refund_amount: Amount | None = None
    refund_time: str | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None


class InquiryRefundResponse(Response):
    refund_id: str | None = None
    refund_request_id: str | None = None
    refund_amount: Amount | None = None
    refund_status: str | None = None
    refund_time: str | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None


class CaptureResponse(Response):
    capture_request_id: str | None = None
    capture_id: str | None = None
    payment_id: str | None = None
    capture_amount: Amount | None = None
    capture_time: str | None = None


# ------------------------------------------------------------ notifications


class PaymentNotification(WireModel):
    notify_type: str
    result: Result
    payment_request_id: str | None = None
    payment_id: str | None = None
    payment_amount: Amount | None = None
    payment_create_time: str | None = None
    payment_time: str | None = None
    payment_method_type: str | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None
    customs_declaration_amount: Amount | None = None
    payment_result_info: PaymentResultInfo | None = None


class CaptureNotification(WireModel):
    notify_type: str
    result: Result
    capture_request_id: str | None = None
    payment_id: str | None = None
    capture_id: str | None = None
    capture_amount: Amount | None = None
    capture_time: str | None = None


class RefundNotification(WireModel):
    notify_type: str
    result: Result
    refund_status: str | None = None
    refund_request_id: str | None = None
    refund_id: str | None = None
    payment_id: str | None = None
    refund_amount: Amount | None = None
    refund_time: str | None = None
    gross_settlement_amount: Amount | None = None
    settlement_quote: Quote | None = None


#: The acknowledgement a merchant returns for every notification.
NOTIFICATION_ACK: dict[str, dict[str, str]] = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}
}
