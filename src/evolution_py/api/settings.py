"""`/settings` router."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post

from evolution_py.api.auth import instance_guard
from evolution_py.dto.instance import SettingsRequest
from evolution_py.services import services_of


@post("/settings/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Settings"])
async def set_settings(request: Request[Any, Any, Any], instanceName: str, data: SettingsRequest) -> dict[str, Any]:
    return await services_of(request).manager.set_settings(instanceName, data)


@get("/settings/find/{instanceName:str}", guards=[instance_guard], tags=["Settings"])
async def find_settings(request: Request[Any, Any, Any], instanceName: str) -> dict[str, Any] | None:
    return await services_of(request).manager.find_settings(instanceName)


ROUTES = [set_settings, find_settings]
