"""The Evolution Go envelope: `{"message":"success","data":...}` on success, `{"error":"..."}` on failure.

Errors raised anywhere under a Go route (our `GoError`, the shared `ApiError`/`ChannelError` from the
instance manager and channels, or a bug) are answered in this shape by `EXCEPTION_HANDLERS`, which
the Go router installs, so a Go client never sees the v2 envelope.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response

from evolution_py.channels.base import ChannelError
from evolution_py.errors import ApiError

log = logging.getLogger(__name__)

NOT_AUTHORIZED = "not authorized"
INSTANCE_NOT_FOUND = "instance not found"


class GoError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def success(data: Any = msgspec.UNSET) -> dict[str, Any]:
    if data is msgspec.UNSET:
        return {"message": "success"}
    return {"message": "success", "data": data}


def error_response(message: str, status: int) -> Response[Any]:
    return Response({"error": message}, status_code=status)


def first_message(messages: list[Any], fallback: str) -> str:
    if not messages:
        return fallback
    first = messages[0]
    if isinstance(first, list):
        return first_message(first, fallback)
    return str(first)


def as_go_response(exc: Exception) -> Response[Any]:
    if isinstance(exc, GoError):
        return error_response(exc.message, exc.status)
    if isinstance(exc, ApiError):
        return error_response(first_message(exc.messages, exc.error), exc.status)
    if isinstance(exc, ChannelError):
        return error_response(first_message(exc.messages, "channel error"), exc.status)
    log.error("unhandled error on an Evolution Go route", exc_info=exc)
    return error_response(str(exc) or type(exc).__name__, 500)


def _handler(_request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return as_go_response(exc)


EXCEPTION_HANDLERS: dict[Any, Any] = {Exception: _handler}


async def json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` (Go clients often send none)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise GoError(f"invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise GoError("request body must be a JSON object")
    return body


def required_string(body: dict[str, Any], field: str) -> str:
    """A non-empty string field; `<field> is required` otherwise (the Go server's wording)."""
    value = body.get(field)
    if isinstance(value, int | float) and not isinstance(value, bool) and field in ("port", "number", "phone"):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        if value is not None and not isinstance(value, str):
            raise GoError(f"{field} must be a string")
        raise GoError(f"{field} is required")
    return value.strip()


def optional_string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise GoError(f"{field} must be a string")
    return value


def optional_bool(body: dict[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise GoError(f"{field} must be a boolean")
    return value
