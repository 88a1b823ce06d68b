"""Result codes: one catalogue, every code S/F/U, the wire ``result`` object."""

from __future__ import annotations

import pytest

from openams.protocol.results import (
    ALIASES,
    RESULT_CODES,
    ResultCode,
    ResultStatus,
    lookup,
    result,
)


def test_every_code_has_status_s_f_or_u_and_a_message() -> None:
    assert len(RESULT_CODES) > 30
    for code, entry in RESULT_CODES.items():
        assert entry.code == code
        assert entry.status.value in {"S", "F", "U"}
        assert entry.message.strip()
        assert len(code) <= 64
        assert code == code.upper()
        assert len(entry.message) <= 256


def test_status_values_are_the_wire_letters() -> None:
    assert [s.value for s in ResultStatus] == ["S", "F", "U"]
    assert ResultStatus.SUCCESS == "S"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("SUCCESS", "S"),
        ("PAYMENT_IN_PROCESS", "U"),
        ("UNKNOWN_EXCEPTION", "U"),
        ("REQUEST_TRAFFIC_EXCEED_LIMIT", "U"),
        ("REFUND_IN_PROCESS", "U"),
        ("PARAM_ILLEGAL", "F"),
        ("INVALID_SIGNATURE", "F"),
        ("KEY_NOT_FOUND", "F"),
        ("CLIENT_INVALID", "F"),
        ("ACCESS_DENIED", "F"),
        ("REPEAT_REQ_INCONSISTENT", "F"),
        ("ORDER_IS_CLOSED", "F"),
        ("ORDER_IS_CANCELED", "F"),
        ("ORDER_NOT_EXIST", "F"),
        ("ORDER_STATUS_INVALID", "F"),
        ("CANCEL_WINDOW_EXCEED", "F"),
        ("AUTH_CANCELLED", "F"),
        ("REFUND_AMOUNT_EXCEED", "F"),
        ("CURRENCY_NOT_SUPPORT", "F"),
        ("USER_BALANCE_NOT_ENOUGH", "F"),
        ("PROCESS_FAIL", "F"),
    ],
)
def test_documented_statuses(code: str, status: str) -> None:
    assert lookup(code).status.value == status
    assert result(code)["resultStatus"] == status


def test_only_success_is_s() -> None:
    successes = [c for c, e in RESULT_CODES.items() if e.status is ResultStatus.SUCCESS]
    assert successes == ["SUCCESS"]


def test_result_shape() -> None:
    assert result("SUCCESS") == {
        "resultCode": "SUCCESS",
        "resultStatus": "S",
        "resultMessage": "success",
    }
    out = result("PARAM_ILLEGAL", "paymentAmount.value must be a string of digits")
    assert out == {
        "resultCode": "PARAM_ILLEGAL",
        "resultStatus": "F",
        "resultMessage": "paymentAmount.value must be a string of digits",
    }
    assert list(out) == ["resultCode", "resultStatus", "resultMessage"]
    assert all(isinstance(v, str) for v in out.values())


def test_result_message_falls_back_to_the_default_and_is_capped_at_256() -> None:
    assert result("PAYMENT_IN_PROCESS")["resultMessage"] == "payment in process"
    assert result("PAYMENT_IN_PROCESS", "")["resultMessage"] == "payment in process"
    assert len(result("PARAM_ILLEGAL", "x" * 1000)["resultMessage"]) == 256


def test_result_code_object_renders_itself() -> None:
    entry = ResultCode("SUCCESS", ResultStatus.SUCCESS, "ok")
    assert entry.result() == {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "ok"}
    assert entry.result("done")["resultMessage"] == "done"


def test_alias_invalid_client_means_client_invalid() -> None:
    assert ALIASES["INVALID_CLIENT"] == "CLIENT_INVALID"
    assert lookup("INVALID_CLIENT") is RESULT_CODES["CLIENT_INVALID"]
    assert result("INVALID_CLIENT")["resultCode"] == "CLIENT_INVALID"
    assert result("INVALID_CLIENT")["resultStatus"] == "F"
    # aliases point at catalogued codes and never shadow one
    for alias, target in ALIASES.items():
        assert target in RESULT_CODES
        assert alias not in RESULT_CODES


def test_unknown_codes_are_failures_named_after_themselves() -> None:
    entry = lookup("SOMETHING_NEW")
    assert entry.code == "SOMETHING_NEW"
    assert entry.status is ResultStatus.FAIL
    assert result("SOMETHING_NEW")["resultStatus"] == "F"
