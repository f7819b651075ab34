"""`/settings` router."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post

from evolution_py.api.auth import instance_guard
from evolution_py.core.instances import InstanceService
from evolution_py.dto.instance import SettingsRequest


@post("/settings/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Settings"])
async def set_settings(instances: InstanceService, instanceName: str, data: SettingsRequest) -> dict[str, Any]:
    await instances.set_settings(instanceName, data)
    # Upstream answers the request back, without the fields it left out.
    sent = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
    return {"settings": {"instanceName": instanceName, "settings": sent}}


@get("/settings/find/{instanceName:str}", guards=[instance_guard], tags=["Settings"])
async def find_settings(instances: InstanceService, instanceName: str) -> dict[str, Any] | None:
    stored = await instances.find_settings(instanceName)
    return None if stored is None else msgspec.to_builtins(stored)


ROUTES = [set_settings, find_settings]
