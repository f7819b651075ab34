"""Reading a body and validating it the way upstream's router helpers do, in their two error forms."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from evolution_py.api.errors import NESTED_TOO_DEEPLY, SchemaError, malformed_json, schema_message
from evolution_py.dto.jsonschema import Schema, validate
from evolution_py.errors import BadRequest

T = TypeVar("T")


async def json_body(request: Request[Any, Any, Any]) -> Any:
    """The JSON body; an absent body is `{}` as Express gives it."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequest(malformed_json(exc), as_list=False) from None
    except RecursionError:
        raise BadRequest(NESTED_TOO_DEEPLY) from None


async def json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The JSON body, which must be an object (`{}` when absent)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest("instance is not of a type(s) object")
    return body


def check_standard(data: Any, schema: Schema | None) -> None:
    """`dataValidate`: 400 `[["message", ...]]`."""
    if schema is None:
        return
    issues = validate(data, schema)
    if issues:
        raise SchemaError([issue.message for issue in issues])


def check_group(data: Any, schema: Schema) -> None:
    """`groupValidate` & co.: 400 `[{"property", "message"}, ...]`."""
    issues = validate(data, schema)
    if issues:
        raise BadRequest(*[issue.as_group_item() for issue in issues])


def to_dto(data: Any, dto: type[T], *, group_form: bool = False) -> T:
    """Build the request struct once the schema passed; a field the schema does not cover but the
    struct needs still answers a 400 in the route's form instead of a crash."""
    try:
        return msgspec.convert(data, type=dto, strict=False)
    except msgspec.ValidationError as exc:
        text, _, where = str(exc).partition(" - at `$")
        key = re.sub(r"\[(\d+)\]", r".\1", where.rstrip("`")).lstrip(".") or "data"
        message = schema_message(text, key, dto)
        if group_form:
            field = message.split(" ", 1)[0] if key != "data" else "instance"
            raise BadRequest({"property": field, "message": message}) from None
        raise SchemaError([message]) from None
