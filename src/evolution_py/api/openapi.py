"""OpenAPI for handlers that parse their own body (dialect dispatch, JSON-or-multipart routes).

Litestar documents a handler's request body from a `data` parameter, and falls back to the `data`
parameter of a declared dependency. A dependency the handler never asks for is never run, so
declaring one with `data: <Struct>` documents the body without Litestar decoding it.
"""

from __future__ import annotations

from typing import Any

from litestar.di import Provide


def documented_body(data_type: type[Any]) -> dict[str, Provide]:
    def body_schema(data: Any) -> None:  # pragma: no cover - never called, see module docstring
        return None

    body_schema.__annotations__ = {"data": data_type, "return": None}
    return {"documented_body": Provide(body_schema, sync_to_thread=False)}
