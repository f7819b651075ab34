"""Go admin routes (global key): all, info, forcereconnect, logs (proxy: `proxy.py`).

`POST /instance/create` and `DELETE /instance/delete/:x` are shared with v2 and dispatched in
`api/instance.py` (Go's create: `create.py`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, get, post

from evolution_py.api.go import proxy
from evolution_py.api.go.auth import admin_instance, require_global_key
from evolution_py.api.go.envelope import GoError, json_object, required_string, success
from evolution_py.api.go.records import instance_record, iso
from evolution_py.channels.base import ConnectionState
from evolution_py.core.instances import InstanceService
from evolution_py.core.logbook import LEVELS, InstanceLogbook, LogQuery
from evolution_py.core.registry import InstanceRegistry
from evolution_py.events.subscriptions import Subscriptions

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- list and info ------------------------------------------------------------------------------


@get("/instance/all", summary="List instances (Evolution Go)")
async def list_instances(
    request: Request[Any, Any, Any], registry: InstanceRegistry, subscriptions: Subscriptions
) -> dict[str, Any]:
    require_global_key(request)
    runtimes = sorted(registry.all(), key=lambda r: (r.created_at or datetime.min, r.name))
    return success([await instance_record(subscriptions, r) for r in runtimes])


@get("/instance/info/{instanceId:str}", summary="Instance details (Evolution Go)")
async def instance_info(
    request: Request[Any, Any, Any], registry: InstanceRegistry, subscriptions: Subscriptions, instanceId: str
) -> dict[str, Any]:
    runtime = admin_instance(request, registry, instanceId)
    return success(await instance_record(subscriptions, runtime))


# --- force reconnect ----------------------------------------------------------------------------


@post("/instance/forcereconnect/{instanceId:str}", status_code=200, summary="Force a reconnect (Evolution Go)")
async def force_reconnect(
    request: Request[Any, Any, Any], instances: InstanceService, instanceId: str
) -> dict[str, Any]:
    runtime = admin_instance(request, instances.registry, instanceId)
    body = await json_object(request)
    number = required_string(body, "number")
    if not re.sub(r"\D", "", number):
        raise GoError("number must contain digits")
    if runtime.channel.state == "open":
        raise GoError("client already connected")
    await runtime.log("INFO", "Force reconnect requested", number=number)
    await instances.reconnect(runtime.name, wait=5.0)
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
async def instance_logs(
    request: Request[Any, Any, Any], registry: InstanceRegistry, logbook: InstanceLogbook, instanceId: str
) -> list[dict[str, Any]]:
    runtime = admin_instance(request, registry, instanceId)
    query = _log_query(request)
    entries = await logbook.read(runtime.id, query)
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


# In the order they were first served (the OpenAPI document lists them so).
ROUTES = [list_instances, instance_info, proxy.set_proxy, proxy.remove_proxy, force_reconnect, instance_logs]
