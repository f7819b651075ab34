"""The Evolution Go envelope: `{"message":"success","data":...}` on success, `{"error":"..."}` on failure.

Errors raised anywhere under a Go route (our `GoError`, the shared `ApiError`/`ChannelError` from the
instance service and channels, or a bug) are answered in this shape by `EXCEPTION_HANDLERS`, which
the Go router installs, so a Go client never sees the v2 envelope.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from evolution_py.api.auth import request_key
from evolution_py.api.errors import NESTED_TOO_DEEPLY, SchemaError, known_failure, log_internal_error
from evolution_py.channels.base import ChannelError
from evolution_py.errors import ApiError
from evolution_py.services import services_of

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


def as_go_response(exc: Exception, request: Request[Any, Any, Any]) -> Response[Any]:
    if isinstance(exc, GoError):
        return error_response(exc.message, exc.status)
    if isinstance(exc, ApiError):
        return error_response(first_message(exc.messages, exc.error), exc.status)
    if isinstance(exc, ChannelError):
        return error_response(first_message(exc.messages, "channel error"), exc.status)
    if isinstance(exc, SchemaError):
        return error_response(first_message(exc.messages, "invalid request"), 400)
    if isinstance(exc, HTTPException):
        return error_response(str(exc.detail), exc.status_code)
    if failure := known_failure(exc):
        return Response({"error": failure.message}, status_code=failure.status, headers=failure.headers)
    request_id = log_internal_error(request, exc)
    return Response(
        {"error": f"Internal error; request id {request_id}"}, status_code=500, headers={"X-Request-Id": request_id}
    )


def _handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    response = as_go_response(exc, request)
    status = response.status_code or 500
    # (a 503 is the database away: the instance's log, in that database, cannot take it either)
    if not isinstance(exc, GoError) and (isinstance(exc, ChannelError) or (status >= 500 and status != 503)):
        _log_failure(request, response)
    return response


_pending: set[asyncio.Task[None]] = set()


def _log_failure(request: Request[Any, Any, Any], response: Response[Any]) -> None:
    """A channel failure or a server error on a Go route goes into that instance's own log too.
    (Exception handlers are synchronous, so the write runs as a task.)"""
    try:
        registry = services_of(request).registry
        path_id = request.path_params.get("instanceId")
        runtime = registry.resolve(path_id) if path_id else None
        if runtime is None and (key := request_key(request)):
            found = registry.find_by_token(key)
            runtime = found[0] if len(found) == 1 else None
        if runtime is None:
            return
        message = f"{request.method} {request.url.path} failed: {response.content.get('error')}"
        task = asyncio.get_running_loop().create_task(runtime.log("ERROR", message, status=response.status_code))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
    except Exception:
        log.warning("could not log a failed Go request", exc_info=True)


# Litestar picks the most specific class across layers, so every class the app maps (v2 envelope) is
# mapped again here; otherwise e.g. a ChannelError would still get the v2 body on a Go route.
EXCEPTION_HANDLERS: dict[Any, Any] = {
    cls: _handler for cls in (Exception, GoError, ApiError, ChannelError, SchemaError, HTTPException)
}


async def json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` (Go clients often send none)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise GoError(f"invalid JSON body: {exc}") from None
    except RecursionError:
        raise GoError(NESTED_TOO_DEEPLY) from None
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
