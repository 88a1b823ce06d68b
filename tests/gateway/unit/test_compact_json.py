"""compact_json writes a Decimal as a JSON number with exactly its digits."""

from __future__ import annotations

import json
from decimal import Decimal

from openams.gateway import compact_json


def test_a_decimal_is_an_exact_json_number_not_a_float() -> None:
    # 20 significant digits: a binary float would keep 17 at most.
    price = Decimal("0.12345678901234567890")
    assert compact_json.dumps({"quotePrice": price}) == '{"quotePrice":0.12345678901234567890}'
    assert compact_json.dumps([Decimal("1E-7"), Decimal("7.12")]) == "[0.0000001,7.12]"
    assert compact_json.loads(compact_json.dumps({"q": price})) == {"q": price}


def test_the_standard_library_fallback_writes_decimals_the_same_way() -> None:
    # orjson refuses integers beyond 64 bits; the fallback must still write exact numbers.
    body = {"big": 2**70, "nested": [{"quotePrice": Decimal("0.12345678901234567890")}], 1: "k"}
    text = compact_json.dumps(body)
    assert '"quotePrice":0.12345678901234567890' in text
    assert json.loads(text, parse_float=Decimal)["nested"][0]["quotePrice"] == Decimal(
        "0.12345678901234567890"
    )
    assert compact_json.dumps({"n": Decimal("NaN"), "s": "0.1"}) == '{"n":null,"s":"0.1"}'
