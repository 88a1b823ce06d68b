"""Wire models: camelCase out, absent fields omitted (never ``null``), lenient in."""

from __future__ import annotations

import json
import types
import typing
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from openams.protocol import models
from openams.protocol.models import (
    NOTIFICATION_ACK,
    Amount,
    InquiryPaymentResponse,
    Merchant,
    Order,
    PaymentMethod,
    PaymentResultInfo,
    PayRequest,
    PayResponse,
    Result,
    Store,
    ThreeDSResult,
    WireModel,
)


def _nulls(value: Any, where: str = "$") -> list[str]:
    """JSON paths of every ``None`` in a wire structure."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{where}[{i}]")]
    return []


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


PAY_REQUEST = {
    "productCode": "CASHIER_PAYMENT",
    "paymentRequestId": "PAY_20240101_0001",
    "order": {
        "referenceOrderId": "ORDER_1",
        "orderDescription": "Cappuccino",
        "orderAmount": {"currency": "HKD", "value": "100"},
        "merchant": {"referenceMerchantId": "M1", "merchantMCC": "5812"},
        "goods": [{"referenceGoodsId": "G1", "goodsName": "coffee", "goodsQuantity": 2}],
        "buyer": {"referenceBuyerId": "B1", "buyerName": {"firstName": "Tai", "lastName": "Man"}},
    },
    "paymentAmount": {"currency": "HKD", "value": "100"},
    "paymentMethod": {"paymentMethodType": "ALIPAY_HK"},
    "paymentRedirectUrl": "https://shop.example/return",
    "paymentNotifyUrl": "https://shop.example/notify",
    "env": {"terminalType": "WEB"},
    "settlementStrategy": {"settlementCurrency": "USD"},
    "paymentFactor": {"isAuthorization": True, "captureMode": "AUTOMATIC"},
}


# ------------------------------------------------------------------ camelCase and omission


def test_output_is_camel_case() -> None:
    request = PayRequest.model_validate(PAY_REQUEST)
    wire = request.wire()
    assert wire == PAY_REQUEST | {
        "order": PAY_REQUEST["order"]
        | {
            "goods": [{"referenceGoodsId": "G1", "goodsName": "coffee", "goodsQuantity": "2"}],
        }
    }
    assert all("_" not in key for key in _keys(wire))


def test_python_names_are_accepted_and_rendered_camel_case() -> None:
    method = PaymentMethod(
        payment_method_type="CARD",
        payment_method_meta_data={"cardNo": "4111111111111111"},
        customer_id="C1",
    )
    assert method.wire() == {
        "paymentMethodType": "CARD",
        "paymentMethodMetaData": {"cardNo": "4111111111111111"},
        "customerId": "C1",
    }
    response = PayResponse(
        result=Result(result_code="SUCCESS", result_status="S"),
        normal_url="https://gw/checkout",
        applink_url="https://gw/app",
        payment_action_form='{"method":"GET"}',
    )
    assert response.wire() == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
        "normalUrl": "https://gw/checkout",
        "applinkUrl": "https://gw/app",
        "paymentActionForm": '{"method":"GET"}',
    }


def test_absent_fields_are_omitted_not_null() -> None:
    response = InquiryPaymentResponse(
        result=Result(result_code="SUCCESS", result_status="S", result_message="success"),
        payment_status="PROCESSING",
    )
    wire = response.wire()
    assert wire == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"},
        "paymentStatus": "PROCESSING",
    }
    assert "transactions" not in wire
    assert "null" not in json.dumps(wire)


def test_explicit_nulls_on_input_are_dropped_on_output() -> None:
    data = {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": None},
        "paymentAmount": None,
        "transactions": None,
        "paymentResultInfo": {"cardNo": None, "threeDSResult": None},
        "someNewField": None,
    }
    wire = InquiryPaymentResponse.model_validate(data).wire()
    assert wire == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S"},
        "paymentResultInfo": {},
    }


def test_no_null_inside_free_form_objects_and_unknown_fields() -> None:
    method = PaymentMethod.model_validate(
        {
            "paymentMethodType": "CARD",
            "paymentMethodMetaData": {"cardNo": "4111", "billingAddress": None, "x": {"y": None}},
            "unknownObject": {"a": None, "b": [1, None, {"c": None}]},
        }
    )
    wire = method.wire()
    assert _nulls(wire) == []
    assert wire["paymentMethodMetaData"] == {"cardNo": "4111", "x": {}}
    assert wire["unknownObject"] == {"b": [1, {}]}


# ------------------------------------------------------------------ MCC spellings


@pytest.mark.parametrize("spelling", ["merchantMCC", "merchantMcc", "merchant_mcc"])
def test_merchant_mcc_accepted_in_either_case_and_rendered_as_merchantMCC(spelling: str) -> None:
    merchant = Merchant.model_validate({spelling: "5812", "merchantName": "Cafe"})
    assert merchant.merchant_mcc == "5812"
    assert merchant.wire() == {"merchantMCC": "5812", "merchantName": "Cafe"}


@pytest.mark.parametrize("spelling", ["storeMCC", "storeMcc", "store_mcc"])
def test_store_mcc_accepted_in_either_case_and_rendered_as_storeMCC(spelling: str) -> None:
    store = Store.model_validate({"referenceStoreId": "S1", spelling: 1405})
    assert store.store_mcc == "1405"
    assert store.wire() == {"referenceStoreId": "S1", "storeMCC": "1405"}


def test_entry_code_sample_merchant_with_mixed_mcc_spellings() -> None:
    """The Entry Code seed writes ``merchantMCC`` and ``storeMcc`` in one request."""
    merchant = Merchant.model_validate(
        {
            "referenceMerchantId": "",
            "merchantName": "cup Hu",
            "merchantMCC": "1234",
            "store": {"referenceStoreId": "S0000000001", "storeName": "UGG-2", "storeMcc": "1405"},
        }
    )
    wire = merchant.wire()
    assert wire["merchantMCC"] == "1234"
    assert wire["store"]["storeMCC"] == "1405"
    assert "storeMcc" not in wire["store"]
    assert "merchantMcc" not in wire


# ------------------------------------------------------------------ leniency


def test_numbers_are_coerced_to_strings() -> None:
    assert Amount.model_validate({"currency": "USD", "value": 100}).wire() == {
        "currency": "USD",
        "value": "100",
    }
    store = Store.model_validate({"storeMCC": 5812, "referenceStoreId": 7})
    assert store.wire() == {"storeMCC": "5812", "referenceStoreId": "7"}


def test_boolean_strings_are_booleans() -> None:
    factor = models.PaymentFactor.model_validate(
        {"isAuthorization": "true", "storePaymentMethodForBuyer": "false"}
    )
    assert factor.is_authorization is True
    assert factor.wire() == {"isAuthorization": True, "storePaymentMethodForBuyer": False}


def test_unknown_fields_are_preserved_at_every_level() -> None:
    data = json.loads(json.dumps(PAY_REQUEST))
    data["dualOfflinePayment"] = True
    data["customizedInfo"] = {"customizedField1": "x", "nested": {"deep": ["a", 1]}}
    data["order"]["transit"] = {"transitType": "FLIGHT", "legs": [{"departureTime": "t"}]}
    data["order"]["merchant"]["merchantType"] = "INDIVIDUAL"
    data["paymentMethod"]["funding"] = "CREDIT"
    wire = PayRequest.model_validate(data).wire()
    assert wire["dualOfflinePayment"] is True
    assert wire["customizedInfo"] == {"customizedField1": "x", "nested": {"deep": ["a", 1]}}
    assert wire["order"]["transit"] == {"transitType": "FLIGHT", "legs": [{"departureTime": "t"}]}
    assert wire["order"]["merchant"]["merchantType"] == "INDIVIDUAL"
    assert wire["paymentMethod"]["funding"] == "CREDIT"


def test_order_extend_info_accepts_a_json_string_or_an_object() -> None:
    text = '{"chinaExtraTransInfo":{"businessType":"4"}}'
    assert Order.model_validate({"extendInfo": text}).wire() == {"extendInfo": text}
    obj = {"chinaExtraTransInfo": {"businessType": "4"}}
    assert Order.model_validate({"extendInfo": obj}).wire() == {"extendInfo": obj}


# ------------------------------------------------------------------ threeDSResult


def test_three_ds_result_keeps_its_capitalised_names() -> None:
    data = {
        "cardBrand": "VISA",
        "threeDSResult": {"threeDSVersion": "2.2.0", "eci": "05", "challenged": "true", "xid": "X"},
    }
    info = PaymentResultInfo.model_validate(data)
    assert info.three_ds_result is not None
    assert info.three_ds_result.three_ds_version == "2.2.0"
    assert info.three_ds_result.challenged is True
    assert info.wire() == {
        "cardBrand": "VISA",
        "threeDSResult": {"threeDSVersion": "2.2.0", "eci": "05", "challenged": True, "xid": "X"},
    }


def test_three_ds_result_built_from_python_names() -> None:
    info = PaymentResultInfo(
        three_ds_result=ThreeDSResult(three_ds_version="2.1.0", liability_shift=True)
    )
    assert info.wire() == {"threeDSResult": {"threeDSVersion": "2.1.0", "liabilityShift": True}}


# ------------------------------------------------------------------ validation


def test_required_fields_are_required() -> None:
    for missing in ("productCode", "paymentRequestId", "order", "paymentAmount", "paymentMethod"):
        data = {k: v for k, v in PAY_REQUEST.items() if k != missing}
        with pytest.raises(ValidationError, match=missing):
            PayRequest.model_validate(data)


def test_length_limits() -> None:
    with pytest.raises(ValidationError, match="paymentRequestId"):
        PayRequest.model_validate(PAY_REQUEST | {"paymentRequestId": "x" * 65})
    with pytest.raises(ValidationError, match="locale"):
        PayRequest.model_validate(PAY_REQUEST | {"locale": "en_US_POSIX"})
    assert PayRequest.model_validate(PAY_REQUEST | {"paymentRequestId": "x" * 64})


def test_result_status_is_s_f_or_u() -> None:
    with pytest.raises(ValidationError):
        Result.model_validate({"resultCode": "SUCCESS", "resultStatus": "X"})


def test_spec_sample_pay_response_round_trips() -> None:
    sample = {
        "result": {
            "resultCode": "PAYMENT_IN_PROCESS",
            "resultStatus": "U",
            "resultMessage": "payment in process",
        },
        "paymentRequestId": "PAY_1",
        "paymentId": "2024011519401080010018864029828344",
        "paymentAmount": {"currency": "HKD", "value": "100"},
        "paymentCreateTime": "2024-01-15T01:20:46-08:00",
        "normalUrl": "https://gw/checkout?codeValue=abc",
        "redirectActionForm": {"method": "GET", "redirectUrl": "https://gw/checkout?codeValue=abc"},
        "orderCodeForm": {
            "expireTime": "2024-01-15T01:34:45-08:00",
            "codeDetails": [
                {"displayType": "TEXT", "codeValue": "https://gw/code/281002040090"},
                {"displayType": "BIGIMAGE", "codeValue": "https://gw/qr.png?code=1&picSize=L"},
            ],
        },
        "paymentActionForm": '{"method":"GET","paymentActionFormType":"RedirectActionForm"}',
    }
    assert PayResponse.model_validate(sample).wire() == sample


def test_notification_ack_is_the_documented_body() -> None:
    assert NOTIFICATION_ACK == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}
    }


# ------------------------------------------------------------------ property: never null

_WIRE_MODELS: list[type[WireModel]] = sorted(
    (
        obj
        for obj in vars(models).values()
        if isinstance(obj, type) and issubclass(obj, WireModel) and obj is not WireModel
    ),
    key=lambda cls: cls.__name__,
)

_scalar_text = st.text(alphabet="abcXYZ019 -_:/.", max_size=8)


def _strategy(annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _strategy(args[0], depth)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_strategy(a, depth) for a in args])
    if annotation is type(None):
        return st.none()
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(_strategy(args[0], depth + 1), max_size=2 if depth < 3 else 0)
    if origin is dict:
        leaf = st.one_of(st.none(), _scalar_text, st.integers(), st.booleans())
        return st.dictionaries(st.sampled_from(["a", "b", "c"]), leaf, max_size=3)
    if annotation is str:
        return st.one_of(_scalar_text, st.integers(min_value=0, max_value=99999))
    if annotation is bool:
        return st.one_of(st.booleans(), st.sampled_from(["true", "false"]))
    if annotation is int:  # inquireNotificationList's limit
        return st.integers(min_value=1, max_value=100)
    if annotation is Decimal:  # quotePrice: a JSON number, or a numeric string
        return st.one_of(
            st.decimals(min_value=0, max_value=10**6, places=10),
            st.sampled_from(["0.1404494382", "7.12", "150"]),
        )
    if annotation is Any:
        return st.one_of(st.none(), _scalar_text)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if depth > 3:
            return st.none()
        return _model_data(annotation, depth + 1)
    raise AssertionError(f"no strategy for {annotation!r}")  # pragma: no cover


def _model_data(cls: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in cls.model_fields.items():
        key = field.serialization_alias or field.alias or name
        value = _strategy(field.annotation, depth)
        if field.is_required():
            required[key] = value.filter(lambda v: v is not None)
        else:
            optional[key] = st.one_of(st.none(), value)
    extras = st.dictionaries(
        st.sampled_from(["extraA", "extraB"]),
        st.one_of(st.none(), _scalar_text, st.fixed_dictionaries({"n": st.none()})),
        max_size=2,
    )
    return st.builds(
        lambda fixed, extra: {**extra, **fixed},
        st.fixed_dictionaries(required, optional=optional),
        extras,
    )


def test_the_property_covers_many_models() -> None:
    assert len(_WIRE_MODELS) >= 40


@pytest.mark.parametrize("cls", _WIRE_MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_property_wire_output_never_contains_null(
    cls: type[WireModel], data: st.DataObject
) -> None:
    raw = data.draw(_model_data(cls), label="input")
    model = cls.model_validate(raw)
    wire = model.wire()
    assert _nulls(wire) == []
    assert "null" not in json.dumps(wire)
    # every non-null input key is kept (under its wire name)
    assert {k for k, v in raw.items() if v is not None} == set(wire)
    # and the wire form is a fixed point
    assert cls.model_validate(wire).wire() == wire
