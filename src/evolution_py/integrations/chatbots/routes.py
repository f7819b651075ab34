"""The routes of every bot kind, generated from its `BotKind` (upstream's ten per kind, plus the
kind's own): `/<kind>/create|find|fetch/{botId}|update/{botId}|delete/{botId}|settings|
fetchSettings|changeStatus|fetchSessions/{botId}|ignoreJid/{instanceName}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, delete, get, post, put
from litestar.types import AnyCallable

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import decode_body
from evolution_py.api.openapi import documented_body
from evolution_py.events import names
from evolution_py.integrations.chatbots.admin import ChatbotAdmin
from evolution_py.integrations.chatbots.dto import ChangeStatus, IgnoreJid, bot_struct, given, settings_struct
from evolution_py.integrations.chatbots.kind import BotKind
from evolution_py.services import Services


def admin_of(services: Services, kind: BotKind) -> ChatbotAdmin:
    return ChatbotAdmin(services.db, services.settings, kind)


def instance_id(services: Services, name: str) -> str:
    return services.registry.require(name).id


def kind_routes(kind: BotKind) -> list[Any]:
    """The ten common routes of `kind`, then its own."""
    prefix = f"/{kind.route}"
    bot_type = bot_struct(kind)
    settings_type = settings_struct(kind)
    tags = [kind.name]

    def named(fn: AnyCallable, action: str) -> AnyCallable:
        fn.__name__ = f"{kind.route}_{action}"
        fn.__qualname__ = fn.__name__
        return fn

    async def create(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
        body = given(decode_body(await request.body(), bot_type))
        return await admin_of(services, kind).create(instance_id(services, instanceName), body)

    async def find(services: Services, instanceName: str) -> list[dict[str, Any]]:
        return await admin_of(services, kind).find(instance_id(services, instanceName))

    async def fetch(services: Services, botId: str, instanceName: str) -> dict[str, Any] | None:
        return await admin_of(services, kind).fetch_own(instance_id(services, instanceName), botId)

    async def update_bot(
        request: Request[Any, Any, Any], services: Services, botId: str, instanceName: str
    ) -> dict[str, Any]:
        body = given(decode_body(await request.body(), bot_type))
        return await admin_of(services, kind).update(instance_id(services, instanceName), botId, body)

    async def delete_bot(services: Services, botId: str, instanceName: str) -> dict[str, Any]:
        return await admin_of(services, kind).delete(instance_id(services, instanceName), botId)

    async def settings(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
        body = given(decode_body(await request.body(), settings_type))
        return await admin_of(services, kind).save_settings(instance_id(services, instanceName), body)

    async def fetch_settings(services: Services, instanceName: str) -> dict[str, Any]:
        return await admin_of(services, kind).fetch_settings(instance_id(services, instanceName))

    async def change_status(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
        body = decode_body(await request.body(), ChangeStatus)
        admin = admin_of(services, kind)
        admin.check_enabled()
        runtime = services.registry.require(instanceName)
        if kind.route == "typebot":
            sessions = await admin.sessions_of(runtime.id, body.remoteJid)
            await runtime.emit(
                names.TYPEBOT_CHANGE_STATUS,
                {"remoteJid": body.remoteJid, "status": body.status, "session": sessions[0] if sessions else None},
            )
        count = await admin.change_status(runtime.id, body.remoteJid, body.status)
        if body.status == "delete":
            return {"bot": {"remoteJid": body.remoteJid, "status": body.status}}
        if body.status == "closed":
            return {"bot": {"instanceName": instanceName, "bot": {"remoteJid": body.remoteJid, "status": "closed"}}}
        bot = {"remoteJid": body.remoteJid, "status": body.status, "session": {"count": count}}
        return {"bot": {"instanceName": instanceName, "bot": bot}}

    async def fetch_sessions(services: Services, botId: str, instanceName: str) -> list[dict[str, Any]]:
        return await admin_of(services, kind).fetch_sessions(instance_id(services, instanceName), botId)

    async def ignore_jid(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
        body = decode_body(await request.body(), IgnoreJid)
        return await admin_of(services, kind).ignore_jid(
            instance_id(services, instanceName), body.remoteJid, body.action
        )

    def route(
        decorator: Callable[..., Any],
        path: str,
        fn: AnyCallable,
        action: str,
        status: int | None = None,
        body: type[Any] | None = None,
    ) -> Any:
        options: dict[str, Any] = {"guards": [instance_guard], "tags": tags, "operation_id": f"{kind.route}_{action}"}
        if status is not None:
            options["status_code"] = status
        if body is not None:  # documented in OpenAPI; the handler decodes the body itself
            options["dependencies"] = documented_body(body)
        return decorator(f"{prefix}/{path}", **options)(named(fn, action))

    routes = [
        route(post, "create/{instanceName:str}", create, "create", 201, bot_type),
        route(get, "find/{instanceName:str}", find, "find"),
        route(get, "fetch/{botId:str}/{instanceName:str}", fetch, "fetch"),
        route(put, "update/{botId:str}/{instanceName:str}", update_bot, "update", body=bot_type),
        route(delete, "delete/{botId:str}/{instanceName:str}", delete_bot, "delete", 200),
        route(post, "settings/{instanceName:str}", settings, "settings", 200, settings_type),
        route(get, "fetchSettings/{instanceName:str}", fetch_settings, "fetchSettings"),
        route(post, "changeStatus/{instanceName:str}", change_status, "changeStatus", 200, ChangeStatus),
        route(get, "fetchSessions/{botId:str}/{instanceName:str}", fetch_sessions, "fetchSessions"),
        route(post, "ignoreJid/{instanceName:str}", ignore_jid, "ignoreJid", 200, IgnoreJid),
    ]
    if kind.extra_routes is not None:
        routes.extend(kind.extra_routes(kind))
    return routes
