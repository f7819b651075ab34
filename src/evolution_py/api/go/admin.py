"""Go admin routes (global key): create, all, info, proxy, forcereconnect, logs.

`POST /instance/create` and `DELETE /instance/delete/:x` are shared with v2 and dispatched in
`api/instance.py`; `go_create` here is what that dispatch calls for a body with `name`.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, Response, delete, get, post

from evolution_py.api.go.advanced import merge_settings
from evolution_py.api.go.auth import admin_instance, require_global_key
from evolution_py.api.go.envelope import GoError, as_go_response, json_object, optional_string, required_string, success
from evolution_py.api.go.records import instance_record, iso
from evolution_py.api.go.subscriptions import parse_events, parse_url
from evolution_py.channels.base import ConnectionState, InstanceSettings, ProxyConfig
from evolution_py.dto.instance import ProxyRequest
from evolution_py.instances.logbook import LEVELS, LogQuery
from evolution_py.services import services_of

GO_INTEGRATION = "WHATSAPP-BAILEYS"  # a Go instance is a WhatsApp Web session
_PROTOCOLS = ("http", "https", "socks4", "socks5")
_PORT = re.compile(r"^\d{1,5}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- create -------------------------------------------------------------------------------------


async def go_create(request: Request[Any, Any, Any], body: dict[str, Any]) -> Response[Any]:
    """`POST /instance/create` with `name` (registered in `services.extras["go_create"]`)."""
    try:
        return await _create(request, body)
    except Exception as exc:
        return as_go_response(exc)


async def _create(request: Request[Any, Any, Any], body: dict[str, Any]) -> Response[Any]:
    require_global_key(request)
    services = services_of(request)
    manager = services.manager
    name = required_string(body, "name")
    if "/" in name or len(name) > 255:
        raise GoError("name must be at most 255 characters and cannot contain '/'")
    token = required_string(body, "token")
    if len(token) > 255:
        raise GoError("token must be at most 255 characters")
    instance_id = optional_string(body, "instanceId") or str(uuid.uuid4())
    if "/" in instance_id or len(instance_id) > 100:
        raise GoError("instanceId must be at most 100 characters and cannot contain '/'")
    webhook = parse_url(body, "webhook")
    events = parse_events(body, "webhookEvents")
    proxy = _proxy_config(body["proxy"], "proxy.") if body.get("proxy") is not None else ProxyConfig()
    settings = _create_settings(body.get("advancedSettings"))
    if not manager.kinds.serves(GO_INTEGRATION):
        raise GoError("WhatsApp Web instances are not available on this server yet", 501)
    if await manager.exists(name):
        raise GoError("instance already exists", 409)

    sinks: dict[str, dict[str, Any]] = {}
    if webhook is not None or events is not None:
        keys = events if events is not None else ["MESSAGES_UPSERT"]
        sinks["webhook"] = {"url": webhook or "", "enabled": bool(webhook), "events": keys}
    runtime = await manager.create_record(
        name=name,
        integration=GO_INTEGRATION,
        token=token,
        instance_id=instance_id,
        settings=settings,
        proxy=proxy,
        sinks=sinks,
        unique_token=True,  # token routes find the instance by token alone
    )
    data = {
        "id": runtime.id,
        "name": runtime.name,
        "token": token,
        "webhook": webhook or "",
        "status": "created",
        "createdAt": iso(runtime.created_at),
    }
    return Response(success(data), status_code=200)


def _proxy_config(value: Any, prefix: str) -> ProxyConfig:
    if not isinstance(value, dict):
        raise GoError(f"{prefix.rstrip('.')} must be an object")
    host = required_string(value, "host") if value.get("host") is not None else ""
    if not host:
        raise GoError(f"{prefix}host is required")
    if value.get("port") is None:
        raise GoError(f"{prefix}port is required")
    port = required_string(value, "port")
    if not _PORT.match(port) or not 0 < int(port) < 65536:
        raise GoError(f"{prefix}port must be a number between 1 and 65535")
    protocol = (optional_string(value, "protocol") or "http").lower()
    if protocol not in _PROTOCOLS:
        raise GoError(f"{prefix}protocol must be one of {', '.join(_PROTOCOLS)}")
    return ProxyConfig(
        enabled=True,
        host=host,
        port=port,
        protocol=protocol,
        username=optional_string(value, "username") or "",
        password=optional_string(value, "password") or "",
    )


def _create_settings(value: Any) -> InstanceSettings:
    if value is None:
        return InstanceSettings()
    if not isinstance(value, dict):
        raise GoError("advancedSettings must be an object")
    return merge_settings(InstanceSettings(), value)


# --- list and info ------------------------------------------------------------------------------


@get("/instance/all", summary="List instances (Evolution Go)")
async def list_instances(request: Request[Any, Any, Any]) -> dict[str, Any]:
    require_global_key(request)
    services = services_of(request)
    runtimes = sorted(services.manager.instances.values(), key=lambda r: (r.created_at or datetime.min, r.name))
    return success([await instance_record(services, r) for r in runtimes])


@get("/instance/info/{instanceId:str}", summary="Instance details (Evolution Go)")
async def instance_info(request: Request[Any, Any, Any], instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instanceId)
    return success(await instance_record(services_of(request), runtime))


# --- proxy --------------------------------------------------------------------------------------


@post("/instance/proxy/{instanceId:str}", status_code=200, summary="Set the proxy (Evolution Go)")
async def set_proxy(request: Request[Any, Any, Any], instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instanceId)
    body = await json_object(request)
    for field in ("host", "port"):
        if body.get(field) in (None, ""):
            raise GoError(f"{field} is required")
    proxy = _proxy_config(body, "")
    manager = services_of(request).manager
    await manager.set_proxy(
        runtime.name,
        ProxyRequest(
            enabled=True,
            host=proxy.host,
            port=proxy.port,
            protocol=proxy.protocol,
            username=proxy.username,
            password=proxy.password,
        ),
    )
    manager.reconnect_soon(runtime.name)
    return success({"host": proxy.host, "port": proxy.port, "hasAuth": bool(proxy.username and proxy.password)})


@delete("/instance/proxy/{instanceId:str}", status_code=200, summary="Remove the proxy (Evolution Go)")
async def remove_proxy(request: Request[Any, Any, Any], instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instanceId)
    manager = services_of(request).manager
    await manager.set_proxy(runtime.name, ProxyRequest(enabled=False, host="", port="", protocol=""))
    manager.reconnect_soon(runtime.name)
    return success()


# --- force reconnect ----------------------------------------------------------------------------


@post("/instance/forcereconnect/{instanceId:str}", status_code=200, summary="Force a reconnect (Evolution Go)")
async def force_reconnect(request: Request[Any, Any, Any], instanceId: str) -> dict[str, Any]:
    runtime = admin_instance(request, instanceId)
    body = await json_object(request)
    number = required_string(body, "number")
    if not re.sub(r"\D", "", number):
        raise GoError("number must contain digits")
    if runtime.channel.state == "open":
        raise GoError("client already connected")
    manager = services_of(request).manager
    await runtime.log("INFO", "Force reconnect requested", number=number)
    await manager.reconnect(runtime.name, wait=5.0)
    state: ConnectionState = runtime.channel.state
    if state == "open":
        return success()
    if state == "connecting":
        # The stored session was refused: the device must be linked again (QR or pairing code).
        await runtime.log("ERROR", "Force reconnect failed: login required", number=number)
        raise GoError("failed to login", 500)
    await runtime.log("ERROR", "Force reconnect failed: could not connect", number=number)
    raise GoError("failed to connect", 500)


# --- logs ---------------------------------------------------------------------------------------


@get("/instance/logs/{instanceId:str}", summary="Instance log (Evolution Go)")
async def instance_logs(request: Request[Any, Any, Any], instanceId: str) -> list[dict[str, Any]]:
    runtime = admin_instance(request, instanceId)
    query = _log_query(request)
    entries = await services_of(request).manager.logbook.read(runtime.id, query)
    out = []
    for entry in entries:
        item: dict[str, Any] = {
            "timestamp": iso(entry.timestamp),
            "level": entry.level,
            "message": entry.message,
            "instanceId": runtime.id,
            "instance_id": runtime.id,
            "instanceName": runtime.name,
        }
        if entry.logMetadata:
            item["metadata"] = entry.logMetadata
        out.append(item)
    return out


def _log_query(request: Request[Any, Any, Any]) -> LogQuery:
    params = request.query_params
    start = _day(params.get("start_date"), "start_date")
    end = _day(params.get("end_date"), "end_date")
    if start and end and start > end:
        raise GoError("start_date is after end_date")
    levels: tuple[str, ...] = LEVELS
    raw_level = params.get("level")
    if raw_level:
        wanted = [part.strip().upper() for part in raw_level.split(",") if part.strip()]
        wanted = ["WARN" if part == "WARNING" else part for part in wanted]
        bad = [part for part in wanted if part not in LEVELS]
        if bad:
            raise GoError(f"invalid log level: {', '.join(bad)} (use {', '.join(LEVELS)})")
        levels = tuple(wanted)
    limit = 100
    raw_limit = params.get("limit")
    if raw_limit not in (None, ""):
        if not str(raw_limit).isdigit() or int(raw_limit) < 1:
            raise GoError("limit must be a positive integer")
        limit = min(int(raw_limit), 10_000)
    return LogQuery(
        start=datetime.combine(start, time.min) if start else None,
        end=datetime.combine(end + timedelta(days=1), time.min) if end else None,
        levels=levels,
        limit=limit,
    )


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    if not _DAY.match(value):
        raise GoError(f"{field} must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GoError(f"{field} must be a date as YYYY-MM-DD") from None


ROUTES = [list_instances, instance_info, set_proxy, remove_proxy, force_reconnect, instance_logs]
