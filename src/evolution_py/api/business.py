"""`/business` router: `getCatalog` and `getCollections` (200). Every failure after the guards,
validation included, answers upstream's 400 "Meta error" body (`createMetaErrorResponse`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import SchemaError
from evolution_py.api.meta_errors import meta_answer_body, meta_error_body
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.channels.base import ChannelError
from evolution_py.channels.capabilities import MetaError
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.business import CATALOG_SCHEMA, COLLECTIONS_SCHEMA, CatalogQuery
from evolution_py.errors import ApiError


def meta_error(message: Any, context: str) -> Response[Any]:
    """upstream's body for an Evolution exception (`message` is its array) reaching createMetaErrorResponse."""
    body = meta_error_body({"message": message}, context)
    # upstream's message here is the exception's own value (an array), not a text
    body["message"] = body["details"]["whatsapp_error"] = message
    body["details"]["error_user_title"] = body["details"]["error_user_msg"] = message
    return Response(body, status_code=400)


async def _run(
    request: Request[Any, Any, Any], registry: InstanceRegistry, name: str, collections: bool, context: str, schema: Any
) -> Any:
    business = registry.require(name).channel.business
    try:
        body = await json_body(request)
        check_standard(body, schema)
        query = to_dto(body, CatalogQuery)
        found = await (business.get_collections(query) if collections else business.get_catalog(query))
        return Response(found, status_code=200)
    except SchemaError as exc:
        return meta_error([exc.messages], context)
    except MetaError as exc:
        return Response(meta_answer_body(exc, context), status_code=400)
    except ChannelError as exc:
        return meta_error(exc.messages, context)
    except ApiError as exc:
        return meta_error(exc.message, context)


@post(
    "/getCatalog/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(CatalogQuery),
)
async def get_catalog(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(request, registry, instanceName, False, "business_catalog", CATALOG_SCHEMA)


@post(
    "/getCollections/{instanceName:str}",
    status_code=200,
    dependencies=documented_body(CatalogQuery),
)
async def get_collections(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(request, registry, instanceName, True, "business_collections", COLLECTIONS_SCHEMA)


ROUTER = Router(
    path="/business", guards=[instance_guard], tags=["Business"], route_handlers=[get_catalog, get_collections]
)
ROUTES = [ROUTER]
