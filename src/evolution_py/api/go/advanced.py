"""`GET|PUT /instance/:instanceId/advanced-settings`: the same Setting row the v2 `/settings` routes edit.

Both spellings are read and answered, so seed clients (v2 names) and Evolution Go clients (Go names)
work unchanged:

| seed / v2       | Evolution Go   | stored in Setting  |
|-----------------|----------------|--------------------|
| rejectCall      | rejectCall     | rejectCall         |
| msgCall         | msgRejectCall  | msgCall            |
| groupsIgnore    | ignoreGroups   | groupsIgnore       |
| alwaysOnline    | alwaysOnline   | alwaysOnline       |
| readMessages    | readMessages   | readMessages       |
| readStatus      | not ignoreStatus | readStatus       |
| syncFullHistory | —              | syncFullHistory    |

PUT changes only the fields it is given (Evolution Go resets missing ones; the seed's own example
sends two fields). When both spellings of one setting are sent, the seed's wins.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, put

from evolution_py.api.go.auth import instance_for_settings
from evolution_py.api.go.envelope import GoError, json_object, optional_bool, optional_string
from evolution_py.channels.base import InstanceSettings
from evolution_py.core.instances import InstanceService
from evolution_py.core.registry import InstanceRegistry
from evolution_py.dto.instance import SettingsRequest

_BOOLS = ("rejectCall", "groupsIgnore", "alwaysOnline", "readMessages", "readStatus", "syncFullHistory")
_GO_BOOLS = {"ignoreGroups": "groupsIgnore"}


def render(settings: InstanceSettings) -> dict[str, Any]:
    return {
        "rejectCall": settings.rejectCall,
        "msgCall": settings.msgCall,
        "groupsIgnore": settings.groupsIgnore,
        "alwaysOnline": settings.alwaysOnline,
        "readMessages": settings.readMessages,
        "readStatus": settings.readStatus,
        "syncFullHistory": settings.syncFullHistory,
        "msgRejectCall": settings.msgCall,
        "ignoreGroups": settings.groupsIgnore,
        "ignoreStatus": not settings.readStatus,
    }


def merge_settings(current: InstanceSettings, body: dict[str, Any]) -> InstanceSettings:
    """`current` with the fields of `body` applied (either spelling); validates types."""
    values = msgspec.to_builtins(current)
    for go_name, field in _GO_BOOLS.items():
        value = optional_bool(body, go_name)
        if value is not None:
            values[field] = value
    ignore_status = optional_bool(body, "ignoreStatus")
    if ignore_status is not None:
        values["readStatus"] = not ignore_status
    go_msg = optional_string(body, "msgRejectCall")
    if go_msg is not None:
        values["msgCall"] = go_msg
    for field in _BOOLS:
        value = optional_bool(body, field)
        if value is not None:
            values[field] = value
    msg = optional_string(body, "msgCall")
    if msg is not None:
        values["msgCall"] = msg
    if len(values["msgCall"]) > 100:
        raise GoError("msgCall must be at most 100 characters")
    return msgspec.convert(values, InstanceSettings)


@get("/instance/{instanceId:str}/advanced-settings", summary="Advanced settings (Evolution Go)")
async def get_advanced_settings(
    request: Request[Any, Any, Any], registry: InstanceRegistry, instanceId: str
) -> dict[str, Any]:
    runtime = instance_for_settings(request, registry, instanceId)
    return render(runtime.settings)


@put("/instance/{instanceId:str}/advanced-settings", summary="Update advanced settings (Evolution Go)")
async def put_advanced_settings(
    request: Request[Any, Any, Any], instances: InstanceService, instanceId: str
) -> dict[str, Any]:
    runtime = instance_for_settings(request, instances.registry, instanceId)
    body = await json_object(request)
    merged = merge_settings(runtime.settings, body)
    request_values = msgspec.to_builtins(merged)
    stored = await instances.set_settings(runtime.name, msgspec.convert(request_values, SettingsRequest))
    return {"message": "Advanced settings updated successfully", "settings": render(stored)}


ROUTES = [get_advanced_settings, put_advanced_settings]
