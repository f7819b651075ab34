"""`/template` router: `create` (201) and `find` (200) as upstream, and our `edit` and `delete`
(upstream has none; Meta's Graph API has both). Every failure after the guards, validation
included, answers the contract's 400 "Meta error" body (`createMetaErrorResponse`), with Meta's code
and message when Meta refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, Router, delete, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.api.business import meta_error
from evolution_py.api.errors import SchemaError
from evolution_py.api.meta_errors import meta_answer_body
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_body, to_dto
from evolution_py.channels.capabilities import ChannelError, MetaError, Templates
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.jsonschema import Schema
from evolution_py.dto.template import (
    TEMPLATE_DELETE_SCHEMA,
    TEMPLATE_EDIT_SCHEMA,
    TEMPLATE_SCHEMA,
    TemplateCreate,
    TemplateDelete,
    TemplateEdit,
)
from evolution_py.errors import ApiError

Operation = Callable[[Templates, Any], Awaitable[Any]]


async def _run(
    request: Request[Any, Any, Any],
    registry: InstanceRegistry,
    name: str,
    context: str,
    status: int,
    operation: Operation,
    schema: Schema | None = None,
    dto: type[Any] | None = None,
) -> Response[Any]:
    templates = registry.require(name).channel.templates
    try:
        query: Any = None
        if dto is not None:
            body = await json_body(request)
            if not body and request.query_params:  # a DELETE may name the template in its query
                body = dict(request.query_params)
            check_standard(body, schema)
            query = to_dto(body, dto)
        return Response(await operation(templates, query), status_code=status)
    except SchemaError as exc:
        return meta_error([exc.messages], context)
    except MetaError as exc:
        return Response(meta_answer_body(exc, context), status_code=400)
    except ChannelError as exc:
        return meta_error(exc.messages, context)
    except ApiError as exc:
        return meta_error(exc.message, context)


def _route(path: str) -> str:
    return f"/{path}/{{instanceName:str}}"


@post(_route("create"), status_code=201, dependencies=documented_body(TemplateCreate))
async def create_template(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(
        request,
        registry,
        instanceName,
        "template_creation",
        201,
        lambda templates, req: templates.create_template(req),
        TEMPLATE_SCHEMA,
        TemplateCreate,
    )


@get(_route("find"), status_code=200)
async def find_templates(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(
        request, registry, instanceName, "template_find", 200, lambda templates, _req: templates.find_templates()
    )


@post(_route("edit"), status_code=200, dependencies=documented_body(TemplateEdit))
async def edit_template(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(
        request,
        registry,
        instanceName,
        "template_edit",
        200,
        lambda templates, req: templates.edit_template(req),
        TEMPLATE_EDIT_SCHEMA,
        TemplateEdit,
    )


@delete(_route("delete"), status_code=200, dependencies=documented_body(TemplateDelete))
async def delete_template(request: Request[Any, Any, Any], registry: InstanceRegistry, instanceName: str) -> Any:
    return await _run(
        request,
        registry,
        instanceName,
        "template_delete",
        200,
        lambda templates, req: templates.delete_template(req),
        TEMPLATE_DELETE_SCHEMA,
        TemplateDelete,
    )


ROUTER = Router(
    path="/template",
    guards=[instance_guard],
    tags=["Template"],
    route_handlers=[create_template, find_templates, edit_template, delete_template],
)
ROUTES = [ROUTER]
