"""The request samples of docs/vaulting.md are sent as written (with a fresh
``vaultingRequestId``) and get the result code the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.ams_client import AmsClient
from tests.gateway.integration.payloads import new_id

DOC = Path(__file__).resolve().parents[3] / "docs" / "vaulting.md"
SAMPLE = re.compile(r"<!-- sample: (\S+) (\S+) -->\n```json\n(.*?)\n```", re.DOTALL)


def samples() -> list[tuple[str, str, dict[str, Any]]]:
    found = [(api, code, json.loads(body)) for api, code, body in SAMPLE.findall(DOC.read_text())]
    assert len(found) == 3, "docs/vaulting.md lost a sample"
    return found


@pytest.mark.parametrize(("api", "code", "body"), samples(), ids=lambda v: str(v)[:40])
def test_the_documented_sample_gets_the_documented_code(
    ams: AmsClient, api: str, code: str, body: dict[str, Any]
) -> None:
    if "vaultingRequestId" in body:
        body = {**body, "vaultingRequestId": new_id("DOC")}
    reply = ams.call(api, body)
    assert reply.code == code, reply.body
