"""Raw body -> wire model, with every failure reported as a clear PARAM_ILLEGAL."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from openams.gateway.domain.errors import DomainError, param_illegal
from openams.gateway.json_depth import NESTS_TOO_DEEP, too_deep

ModelT = TypeVar("ModelT", bound=BaseModel)
JSON_TYPES = ("application/json", "text/json")
NESTED_TOO_DEEPLY = f"the JSON body {NESTS_TOO_DEEP}"


def check_content_type(value: str) -> None:
    """JSON bodies only; a missing Content-Type is tolerated, as curl users forget it."""
    if not value:
        return
    media = value.split(";", 1)[0].strip().lower()
    if media in JSON_TYPES or media.endswith("+json"):
        return
    raise DomainError(
        "MEDIA_TYPE_NOT_ACCEPTABLE",
        f"Content-Type {media!r} is not accepted; send application/json; charset=UTF-8",
    )


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise param_illegal(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text)
    except RecursionError:  # json's C parser stops cleanly at the recursion limit
        raise param_illegal(NESTED_TOO_DEEPLY) from None
    except ValueError as exc:
        raise param_illegal(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise param_illegal("the body must be a JSON object")
    # before anything walks it (json_depth.py says why)
    if too_deep(text, value):
        raise param_illegal(NESTED_TOO_DEEPLY)
    # PostgreSQL text cannot hold NUL, and no AMS field needs one: refused on every
    # database alike, before it reaches a query.
    if "\\u0000" in text and _has_nul(value):
        raise param_illegal("the body contains a NUL character (\\u0000)")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "body"


def describe(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = _location(tuple(p for p in first["loc"] if p not in ("str", "dict[str,any]")))
    kind = first["type"]
    if kind == "missing":
        return f"{where} is required"
    if kind == "string_too_long":
        return f"{where} must be at most {first['ctx']['max_length']} characters"
    return f"{where}: {first['msg']}"


def parse_model(model: type[ModelT], payload: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise param_illegal(describe(exc)) from None
