"""`/instance` router (Evolution API v2), also under seed 001's `/{instanceName}/instance/<action>` form."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import Parameter

from evolution_py.api.auth import instance_guard, is_global_key, request_key, same_key
from evolution_py.api.errors import decode_body
from evolution_py.api.go.create import go_create
from evolution_py.api.instance_create import create_v2
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import json_object
from evolution_py.config import Settings
from evolution_py.core.instance_report import InstanceFilter, InstanceReport, ReportedInstance
from evolution_py.core.instances import InstanceService
from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.results import ConnectOutcome
from evolution_py.dto.instance import (
    ConnectionStateBody,
    ConnectionStateResponse,
    CreateInstanceRequest,
    PresenceRequest,
    StatusResponse,
)
from evolution_py.errors import Unauthorized
from evolution_py.services import services_of

# Create-body fields only an Evolution Go client sends (contract evolution-go.md §6.2).
_GO_ONLY_FIELDS = ("webhookEvents", "advancedSettings", "instanceId")


def _paths(action: str) -> list[str]:
    return [f"/instance/{action}/{{instanceName:str}}", f"/{{instanceName:str}}/instance/{action}"]


def _connect_body(name: str, outcome: ConnectOutcome) -> dict[str, Any]:
    """v2's connect / restart answer: the open state, else the QR (or pairing code) being shown."""
    if outcome.is_open:
        return {"instance": {"instanceName": name, "state": "open"}}
    qrcode: dict[str, Any] = msgspec.to_builtins(outcome.qrcode)
    return qrcode


def _with_last_failure(body: dict[str, Any], instances: InstanceService, name: str) -> dict[str, Any]:
    """Ours beside upstream's fields: why the last dial failed, while not open (docs/compatibility.md)."""
    runtime = instances.registry.get(name)
    failure = getattr(runtime.channel, "last_failure", None) if runtime is not None else None
    if failure and "instance" not in body:
        body["lastConnectionError"] = failure
    return body


@post(
    "/instance/create",
    status_code=201,
    summary="Create an instance",
    tags=["Instance"],
    dependencies=documented_body(CreateInstanceRequest),
)
async def create_instance(
    request: Request[Any, Any, Any], instances: InstanceService, config: Settings
) -> Response[Any]:
    body = await json_object(request)
    if "instanceName" not in body:
        if "name" in body or any(body.get(field) is not None for field in _GO_ONLY_FIELDS):
            return await go_create(request, body, instances)
        if "integration" not in body and is_global_key(request):
            # Neither dialect's name field: one body that carries both dialects' error.
            message = 'instance requires property "instanceName"'
            return Response(
                {"status": 400, "error": "name is required", "response": {"message": [message]}}, status_code=400
            )
    # Upstream checks the name before the key: a taken name is a 403 even without a key.
    await instances.ensure_name_free(body.get("instanceName") if isinstance(body.get("instanceName"), str) else None)
    if not is_global_key(request):
        raise Unauthorized()
    req = decode_body(await request.body(), CreateInstanceRequest)
    return Response(await create_v2(instances, config, req, services_of(request).integrations), status_code=201)


@get(_paths("connect"), guards=[instance_guard], tags=["Instance"], summary="Connect (QR or pairing code)")
async def connect_instance(
    instances: InstanceService, instanceName: str, number: str | None = Parameter(query="number", default=None)
) -> dict[str, Any]:
    try:
        body = _connect_body(instanceName, await instances.connect(instanceName, number))
        return _with_last_failure(body, instances, instanceName)
    except Exception as exc:  # noqa: BLE001 - upstream answers connect failures as 200 {"error": true, ...}
        return {
            "error": True,
            "message": getattr(exc, "messages", [str(exc)])[0] if getattr(exc, "messages", None) else str(exc),
        }


@get(_paths("connectionState"), guards=[instance_guard], tags=["Instance"])
async def connection_state(request: Request[Any, Any, Any], instanceName: str) -> ConnectionStateResponse:
    # The clients' polled route: the registry straight from the app's state, not by dependency
    # injection (its resolution was ~5 % of this route's CPU under wrk, issue 18).
    runtime = services_of(request).registry.get(instanceName)
    state = runtime.channel.state if runtime is not None else None
    return ConnectionStateResponse(instance=ConnectionStateBody(instanceName=instanceName, state=state))


@post(_paths("restart"), guards=[instance_guard], status_code=200, tags=["Instance"])
async def restart_instance(instances: InstanceService, instanceName: str) -> dict[str, Any]:
    try:
        return _connect_body(instanceName, await instances.restart(instanceName))
    except Exception as exc:  # noqa: BLE001 - upstream answers restart failures as 200 {"error": true, ...}
        return {"error": True, "message": str(exc)}


@delete(_paths("logout"), guards=[instance_guard], status_code=200, tags=["Instance"])
async def logout_instance(instances: InstanceService, instanceName: str) -> StatusResponse:
    await instances.logout(instanceName)
    return StatusResponse(status="SUCCESS", error=False, response={"message": "Instance logged out"})


@delete(_paths("delete"), status_code=200, tags=["Instance"])
async def delete_instance(
    request: Request[Any, Any, Any], instances: InstanceService, instanceName: str
) -> Response[Any]:
    """Shared with the Evolution Go dialect, whose path carries the instance id (seed clients send the
    name). A name is looked up first, then an id. With the global key the request cannot tell which
    dialect sent it, so the answer carries both: v2's body plus Go's `"message":"success"`."""
    registry = instances.registry
    runtime = registry.get(instanceName)
    if runtime is None and (by_id := registry.resolve(instanceName)) is not None:
        if not is_global_key(request):  # Go's delete by id is an admin route
            raise Unauthorized()
        runtime = by_id
    if runtime is None:
        if _looks_like_uuid(instanceName) and is_global_key(request):
            # Go clients send ids: answer its error text inside the v2 envelope.
            body = {
                "status": 404,
                "error": "instance not found",
                "response": {"message": [f'The "{instanceName}" instance does not exist']},
            }
            return Response(body, status_code=404)
        await instance_guard(request, request.route_handler)  # v2's 404 / 401, in v2's order
        runtime = registry.require(instanceName)
    elif not is_global_key(request):
        await instance_guard(request, request.route_handler)
        await instances.delete(runtime.name)
        return Response(StatusResponse(status="SUCCESS", error=False, response={"message": "Instance deleted"}))
    await instances.delete(runtime.name)
    return Response(
        {"status": "SUCCESS", "error": False, "response": {"message": "Instance deleted"}, "message": "success"}
    )


def _looks_like_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@get("/instance/fetchInstances", tags=["Instance"], summary="List instances")
async def fetch_instances(
    request: Request[Any, Any, Any],
    report: InstanceReport,
    config: Settings,
    instance_name: str | None = Parameter(query="instanceName", default=None),
    instance_id: str | None = Parameter(query="instanceId", default=None),
    number: str | None = Parameter(query="number", default=None),
) -> list[dict[str, Any]]:
    key = request_key(request)
    if not key:
        raise Unauthorized()
    if same_key(key, config.api_key):
        wanted = InstanceFilter(name=instance_name, instance_id=instance_id, number=number)
        return _reported(await report.fetch(wanted))
    if not config.save_data_instance:
        raise Unauthorized()
    found = await report.fetch(InstanceFilter(token=key, name=instance_name, instance_id=instance_id))
    if not found:
        raise Unauthorized()
    return _reported(found)


def _reported(items: list[ReportedInstance]) -> list[dict[str, Any]]:
    """Each instance as upstream's Prisma `findMany` with its relations and `_count`."""
    return [{**item.fields, **item.related, "_count": item.counts} for item in items]


@post(_paths("setPresence"), guards=[instance_guard], status_code=201, tags=["Instance"])
async def set_presence(registry: InstanceRegistry, instanceName: str, data: PresenceRequest) -> dict[str, Any]:
    await registry.require(instanceName).channel.chats.set_presence(data.presence)
    return {"presence": data.presence}


ROUTES = [
    create_instance,
    connect_instance,
    connection_state,
    restart_instance,
    logout_instance,
    delete_instance,
    fetch_instances,
    set_presence,
]
