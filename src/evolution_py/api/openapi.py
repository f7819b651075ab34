"""OpenAPI: bodies of handlers that parse their own body (dialect dispatch, JSON-or-multipart
routes), `finish_schema`, which makes the generated schema true about errors and the key, and
Swagger UI served from a package (`/docs` works offline).

Litestar documents a handler's request body from a `data` parameter, and falls back to the `data`
parameter of a declared dependency. A dependency the handler never asks for is never run, so
declaring one with `data: <Struct>` documents the body without Litestar decoding it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.static_files import create_static_files_router


def documented_body(data_type: type[Any]) -> dict[str, Provide]:
    def body_schema(data: Any) -> None:  # pragma: no cover - never called, see module docstring
        return None

    body_schema.__annotations__ = {"data": data_type, "return": None}
    return {"documented_body": Provide(body_schema, sync_to_thread=False)}


# --- the schema's promises about errors and authentication (issue 10 item 13, issue 16) ----------

V2_ERROR = "ErrorResponse"
GO_ERROR = "GoErrorResponse"
PLAIN_ERROR = "PlainErrorResponse"
FLAT_ERROR = "FlatErrorResponse"
APIKEY = "apikey"
_GO_TAG = "Instance (Evolution Go)"
# Shared by both dialects: the body decides (`api/instance.py`), and so does the error's shape.
_BOTH_DIALECTS = {"/instance/create"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Operations where upstream answers some failures in another shape, kept for its clients; every other
# v2 operation answers only `ErrorResponse`. A new route with such a quirk adds its line here.
_OTHER_ERROR_SHAPES: dict[tuple[str, str], list[str]] = {
    ("get", "/chat/findChatByRemoteJid/{instanceName}"): [PLAIN_ERROR],  # no remoteJid
    ("post", "/chat/whatsappNumbers/{instanceName}"): [FLAT_ERROR],  # its own body validation
    ("post", "/business/getCatalog/{instanceName}"): [FLAT_ERROR],  # upstream's Meta error body
    ("post", "/business/getCollections/{instanceName}"): [FLAT_ERROR],
    # The Cloud API's template routes answer a channel's refusal in the same Meta error body.
    ("post", "/template/create/{instanceName}"): [FLAT_ERROR],
    ("get", "/template/find/{instanceName}"): [FLAT_ERROR],
    ("post", "/template/edit/{instanceName}"): [FLAT_ERROR],
    ("delete", "/template/delete/{instanceName}"): [FLAT_ERROR],
}


def _error_schemas() -> dict[str, Schema]:
    message = Schema(
        any_of=[
            Schema(type=OpenAPIType.STRING),
            Schema(type=OpenAPIType.ARRAY, items=Schema()),  # texts, or (validation) a list of texts
        ],
        description="What is wrong: a text, a list of texts, or (a validation failure) a list of lists",
    )
    return {
        V2_ERROR: Schema(
            type=OpenAPIType.OBJECT,
            required=["status", "error", "response"],
            properties={
                "status": Schema(type=OpenAPIType.INTEGER, description="the HTTP status again"),
                "error": Schema(type=OpenAPIType.STRING, description="its reason phrase, e.g. Bad Request"),
                "response": Schema(type=OpenAPIType.OBJECT, required=["message"], properties={"message": message}),
            },
            description="Upstream Evolution API's error envelope (every route but Evolution Go's)",
        ),
        GO_ERROR: Schema(
            type=OpenAPIType.OBJECT,
            required=["error"],
            properties={"error": Schema(type=OpenAPIType.STRING)},
            description="Evolution Go's error envelope (the `Instance (Evolution Go)` routes)",
        ),
        PLAIN_ERROR: Schema(
            type=OpenAPIType.OBJECT,
            required=["error"],
            properties={"error": Schema(type=OpenAPIType.STRING)},
            description="upstream's bare `{error}` of a few v2 routes",
        ),
        FLAT_ERROR: Schema(
            type=OpenAPIType.OBJECT,
            required=["status", "error", "message"],
            properties={
                "status": Schema(type=OpenAPIType.INTEGER),
                "error": Schema(type=OpenAPIType.STRING),
                "message": message,
                "details": Schema(type=OpenAPIType.OBJECT, description="the business routes' Meta-style details"),
                "timestamp": Schema(type=OpenAPIType.STRING),
            },
            description="upstream's `{status, error, message}` without `response` (business routes, whatsappNumbers)",
        ),
    }


def _error_response(names: list[str]) -> OpenAPIResponse:
    refs: list[Schema | Reference] = [Reference(ref=f"#/components/schemas/{name}") for name in names]
    # anyOf: upstream's 400 for a body of neither dialect carries both envelopes' fields at once.
    schema: Schema | Reference = refs[0] if len(refs) == 1 else Schema(any_of=refs)
    return OpenAPIResponse(
        description=(
            "Any failure: 400 bad input, 401 no or a wrong key, 404 unknown instance or route, 413 body "
            "too large, 500 a bug (the answer holds a request id only), 503 database unavailable "
            "(with Retry-After)"
        ),
        content={"application/json": OpenAPIMediaType(schema=schema)},
    )


def _refine_bodies(schemas: dict[str, Schema], integrations: list[str]) -> None:
    """What the DTOs leave open because the handler checks it itself (to answer upstream's own
    texts), said in the schema: `/instance/create` needs `instanceName` and `integration`, one of the
    kinds this server knows (`channels/registry.py`)."""
    create = schemas.get("CreateInstanceRequest")
    if create is not None and create.properties is not None:
        create.required = ["instanceName", "integration"]
        create.description = (
            "Evolution API v2's body. The same path takes Evolution Go's body (`name`, `token`), "
            "told apart by `instanceName`."
        )
        create.properties["instanceName"] = Schema(type=OpenAPIType.STRING, description="unique instance name")
        create.properties["integration"] = Schema(
            type=OpenAPIType.STRING,
            enum=list(integrations),
            description="the channel kind (missing or another value: 400 `Invalid integration`)",
        )


def finish_schema(openapi: OpenAPI, *, integrations: list[str]) -> None:
    """Make the generated schema say what the server does, in place, before it is first served:

    - every operation's failures answer one envelope (`default` response), upstream's
      `{status, error, response: {message}}` or Evolution Go's `{error}`; Litestar's own 400 schema
      (`{status_code, detail, extra}`), which no route answers, is dropped;
    - request bodies say what the handlers require (`_refine_bodies`);
    - the `apikey` header is the security scheme (Swagger UI's Authorize button), asked everywhere
      (routes open without a key, such as `/`, ignore it).
    """
    components = openapi.components
    if isinstance(components, list):  # pragma: no cover - Litestar builds one Components
        components = components[0]
    components.schemas = {**(components.schemas or {}), **_error_schemas()}
    _refine_bodies(components.schemas, integrations)
    components.security_schemes = {
        **(components.security_schemes or {}),
        APIKEY: SecurityScheme(
            type="apiKey",
            name="apikey",
            security_scheme_in="header",
            description="The global key (AUTHENTICATION_API_KEY) or an instance's token",
        ),
    }
    openapi.security = [{APIKEY: []}]
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            if path in _BOTH_DIALECTS:
                dialects = [V2_ERROR, GO_ERROR]
            elif _GO_TAG in (operation.tags or []):
                dialects = [GO_ERROR]
            else:
                dialects = [V2_ERROR, *_OTHER_ERROR_SHAPES.get((method, path), [])]
            responses = {
                status: response
                for status, response in (operation.responses or {}).items()
                if not (status.startswith("4") or status.startswith("5"))
            }
            responses["default"] = _error_response(dialects)
            operation.responses = responses


# --- /docs offline (issue 16): Swagger UI's files from a PyPI package, never a CDN ----------------

DOCS_ASSETS = "/docs/assets"


def _swagger_ui_files() -> Path:
    """The `swagger-ui-py` package's copy of Swagger UI 5 (found without importing the package,
    whose framework adapters this server does not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: pip install swagger-ui-py")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def swagger_ui() -> SwaggerRenderPlugin:
    """Swagger UI at `/schema/swagger` (and `/docs`), loading its script and style from this server."""
    return SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png' sizes='32x32'>",
    )


def docs_assets() -> Router:
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[_swagger_ui_files()],
        include_in_schema=False,
        # The bundle is ~1.5 MB and changes only with the package: let browsers keep it.
        cache_control=CacheControlHeader(max_age=86400),
    )
