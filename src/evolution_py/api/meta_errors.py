"""The contract's "Meta error" body (upstream's `createMetaErrorResponse`): how the business,
template and (on the Cloud API channel) message routes answer a refusal of Meta's Graph API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evolution_py.channels.capabilities import MetaError
from evolution_py.store.safe_text import safe_text

_TEXT_LIMIT = 1000  # Meta's texts are short; anything longer is cut, never echoed whole


def _text(value: Any) -> Any:
    return safe_text(value, _TEXT_LIMIT) if isinstance(value, str) else value


def meta_error_body(error: dict[str, Any], context: str) -> dict[str, Any]:
    """`error` is Meta's error object (or upstream's own `{message}` for a failure of ours)."""
    message = error.get("message") or "Unknown error"
    title = _text(error.get("error_user_title") or message)
    user_msg = _text(error.get("error_user_msg") or message)
    code = error.get("code")
    subcode = error.get("error_subcode")
    return {
        "status": 400,
        "error": "Bad Request",
        "message": title,
        "details": {
            "whatsapp_error": user_msg,
            "whatsapp_code": code if isinstance(code, int | str) and code != "" else "UNKNOWN_ERROR",
            "error_user_title": title,
            "error_user_msg": user_msg,
            "error_type": _text(error.get("type")) or "UNKNOWN",
            "error_subcode": subcode if isinstance(subcode, int) else None,
            "fbtrace_id": _text(error.get("fbtrace_id")) or None,
            "context": context,
            "type": "whatsapp_api_error",
        },
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def meta_answer_body(exc: MetaError, context: str | None = None) -> dict[str, Any]:
    return meta_error_body(exc.error, context or exc.context)
