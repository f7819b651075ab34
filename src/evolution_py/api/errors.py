"""Every failure answers upstream's envelope `{"status", "error", "response": {"message"}}`.

msgspec validation errors are rewritten into the texts upstream's JSON-Schema validator prints
(`instance requires property "text"`, `delay is not of a type(s) integer`), so clients that show
or match those messages keep working.

No answer carries an exception's own text (SQL, driver messages, a stack): a failure the server
understands (a database out of reach, a value the database cannot hold, JSON nested too deeply) gets
its own status and message (`known_failure`), anything else is logged with a request id and answered
500 "Internal error; request id <id>".
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)

from evolution_py.api.meta_errors import meta_answer_body
from evolution_py.channels.base import ChannelError
from evolution_py.channels.capabilities import MetaError
from evolution_py.errors import ApiError, BadRequest
from evolution_py.store.db import Trouble, trouble

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
NESTED_TOO_DEEPLY = "JSON is nested too deeply"


def malformed_json(exc: msgspec.DecodeError) -> str:
    """msgspec's words already start with "JSON is malformed: "; said once."""
    detail = str(exc).removeprefix("JSON is malformed: ")
    return f"JSON is malformed: {detail}"


_TROUBLE_MESSAGES = {
    Trouble.UNAVAILABLE: "The database is unavailable; try again shortly",
    Trouble.NUL_IN_TEXT: "The request contains text with a NUL character (\\u0000), which cannot be stored",
    Trouble.OUT_OF_RANGE: "A number in the request is out of range",
    Trouble.BAD_VALUE: "A value in the request cannot be stored",
    Trouble.TOO_LONG: "A text in the request is longer than its field allows",
}


@dataclass(frozen=True)
class KnownFailure:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def known_failure(exc: BaseException) -> KnownFailure | None:
    """A failure that is not a bug: the status and message to answer it with, in either dialect."""
    if isinstance(exc, RecursionError) and "deserializ" in str(exc):  # msgspec's depth limit
        return KnownFailure(400, NESTED_TOO_DEEPLY)
    found = trouble(exc)
    if found is None:
        return None
    if found is Trouble.UNAVAILABLE:
        return KnownFailure(503, _TROUBLE_MESSAGES[found], {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return KnownFailure(400, _TROUBLE_MESSAGES[found])


def log_internal_error(request: Request[Any, Any, Any], exc: BaseException) -> str:
    """Log a failure nobody foresaw with a new request id, which is all the answer shows."""
    request_id = uuid.uuid4().hex[:16]
    log.error("internal error, request id %s, on %s %r", request_id, request.method, request.url.path, exc_info=exc)
    return request_id


_TYPE_WORDS = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "object": "object",
    "array": "array",
    "null": "null",
}
_EXPECTED = re.compile(r"Expected `([^`]+)`, got `([^`]+)`")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")


def _type_words(expected: str) -> str:
    words = [_TYPE_WORDS.get(part.strip(), part.strip()) for part in expected.split("|")]
    words = [w for w in words if w != "null"] or ["null"]
    return ",".join(words)


def _field_type(root: Any, path: list[str]) -> Any:
    """Follow a dotted error path through msgspec types to the annotated type of the field."""
    current: Any = root
    for part in path:
        current = _strip_optional(current)
        if isinstance(current, type) and issubclass(current, msgspec.Struct):
            fields = {f.name: f.type for f in msgspec.structs.fields(current)}
            if part not in fields:
                return None
            current = fields[part]
        elif get_origin(current) is list and part.isdigit():
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return _strip_optional(current)


def _strip_optional(tp: Any) -> Any:
    args = [a for a in get_args(tp) if a is not type(None) and a is not msgspec.UnsetType]  # UNSET: absent
    if get_origin(tp) in (None,) or not args:
        return tp
    if str(get_origin(tp)) in ("typing.Union", "<class 'types.UnionType'>") and len(args) == 1:
        return args[0]
    return tp


def schema_message(message: str, key: str, data_type: Any = None) -> str:
    """One msgspec error → upstream's jsonschema wording, naming the field."""
    field = key if key and key != "data" else "instance"
    field = re.sub(r"\.(\d+)", r"[\1]", field)
    if match := _MISSING.search(message):
        return f'{field} requires property "{match.group(1)}"'
    if match := _EXPECTED.search(message):
        return f"{field} is not of a type(s) {_type_words(match.group(1))}"
    if message.startswith("Invalid enum value"):
        tp = _field_type(data_type, key.split(".")) if data_type is not None and key != "data" else None
        values = [str(v) for v in get_args(tp)] if tp is not None else []
        if values:
            return f"{field} is not one of enum values: {','.join(values)}"
        return f"{field} is not one of the accepted values ({message})"
    return f"{field}: {message}"


def validation_failure(messages: list[str]) -> dict[str, Any]:
    return {"status": 400, "error": "Bad Request", "response": {"message": [messages]}}


def decode_body(raw: bytes, data_type: type[Any]) -> Any:
    """Decode a JSON body into `data_type`; an empty body is `{}` as upstream treats it."""
    if not raw.strip():
        raw = b"{}"
    try:
        return msgspec.json.decode(raw, type=data_type, strict=True)
    except msgspec.ValidationError as exc:
        key = _error_path(str(exc))
        raise SchemaError([schema_message(str(exc).split(" - at ")[0], key, data_type)]) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(malformed_json(exc), as_list=False) from None
    except RecursionError:
        raise BadRequest(NESTED_TOO_DEEPLY) from None


def convert(value: Any, data_type: type[Any]) -> Any:
    try:
        return msgspec.convert(value, type=data_type, strict=False)
    except msgspec.ValidationError as exc:
        key = _error_path(str(exc))
        raise SchemaError([schema_message(str(exc).split(" - at ")[0], key, data_type)]) from None


def _error_path(text: str) -> str:
    if " - at `$" not in text:
        return "data"
    path = text.split(" - at `$", 1)[1].rstrip("`")
    path = re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
    return path or "data"


class SchemaError(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages)
        self.messages = messages


def _handler_data_type(request: Request[Any, Any, Any]) -> Any:
    try:
        signature = request.route_handler.parsed_fn_signature
        param = signature.parameters.get("data")
        return None if param is None else param.annotation
    except (KeyError, AttributeError):  # no route handler in the scope (failed before routing)
        return None


def on_api_error(_request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status)


def on_channel_error(_request: Request[Any, Any, Any], exc: ChannelError) -> Response[Any]:
    if isinstance(exc, MetaError):  # Meta's Graph API refused: the contract's "Meta error" body
        return Response(meta_answer_body(exc), status_code=400)
    error = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(
        exc.status, "Internal Server Error"
    )
    return Response(
        {"status": exc.status, "error": error, "response": {"message": exc.messages}}, status_code=exc.status
    )


def on_schema_error(_request: Request[Any, Any, Any], exc: SchemaError) -> Response[Any]:
    return Response(validation_failure(exc.messages), status_code=400)


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotFoundException | MethodNotAllowedException) and not isinstance(exc, ApiError):
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        body = {"status": 404, "error": "Not Found", "response": {"message": [f"Cannot {request.method} {url}"]}}
        return Response(body, status_code=404)
    if isinstance(exc, ValidationException):
        data_type = _handler_data_type(request)
        messages: list[str] = []
        for item in exc.extra or []:
            if not isinstance(item, dict):
                continue
            text = str(item.get("message", ""))
            key = str(item.get("key", "data"))
            if item.get("source") == "body" and text == "'data'" and data_type is not None:
                # Empty body: upstream validates it as {} and names the first missing property.
                try:
                    msgspec.convert({}, data_type)
                    messages.append("instance requires a JSON body")
                except msgspec.ValidationError as inner:
                    messages.append(schema_message(str(inner).split(" - at ")[0], "data", data_type))
                continue
            if item.get("source") in ("query", "path"):
                messages.append(f"{key}: {text}")
                continue
            messages.append(schema_message(text, key, data_type))
        return Response(validation_failure(messages or [exc.detail]), status_code=400)
    if isinstance(exc, ClientException):
        status = exc.status_code
        return Response(
            {
                "status": status,
                "error": "Bad Request" if status == 400 else exc.detail,
                "response": {"message": exc.detail},
            },
            status_code=status,
        )
    status = exc.status_code
    return Response({"status": status, "error": exc.detail, "response": {"message": exc.detail}}, status_code=status)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if failure := known_failure(exc):
        error = {400: "Bad Request", 503: "Service Unavailable"}[failure.status]
        body = {"status": failure.status, "error": error, "response": {"message": [failure.message]}}
        return Response(body, status_code=failure.status, headers=failure.headers)
    request_id = log_internal_error(request, exc)
    body = {
        "status": 500,
        "error": "Internal Server Error",
        "response": {"message": [f"Internal error; request id {request_id}"]},
    }
    return Response(body, status_code=500, headers={"X-Request-Id": request_id})


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: on_api_error,
    ChannelError: on_channel_error,
    SchemaError: on_schema_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
