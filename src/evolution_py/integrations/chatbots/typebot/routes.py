"""`/typebot/start/{instanceName}`: start a Typebot flow for a JID from the API (upstream's startBot)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from sqlalchemy import delete, select

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import decode_body
from evolution_py.api.openapi import documented_body
from evolution_py.events import names
from evolution_py.integrations.chatbots.admin import ChatbotAdmin, plain_error
from evolution_py.integrations.chatbots.dto import BEHAVIOUR_NAMES
from evolution_py.integrations.chatbots.engine import ChatbotEngine
from evolution_py.integrations.chatbots.kind import BackendContext, BotKind
from evolution_py.integrations.chatbots.models import IntegrationSession, Typebot
from evolution_py.integrations.chatbots.presence import PRESENCE
from evolution_py.integrations.chatbots.replies import send_reply
from evolution_py.integrations.chatbots.rows import as_dict
from evolution_py.integrations.chatbots.triggers import ignored
from evolution_py.integrations.chatbots.typebot.backend import TypebotBackend
from evolution_py.integrations.chatbots.typebot.render import render
from evolution_py.services import Services


class Variable(msgspec.Struct, kw_only=True):
    name: str
    value: Any = None


class StartTypebot(msgspec.Struct, kw_only=True):
    remoteJid: str
    url: str
    typebot: str
    startSession: bool | None = None
    variables: list[Variable] | None = None


def typebot_routes(kind: BotKind) -> list[Any]:
    @post(
        "/typebot/start/{instanceName:str}",
        guards=[instance_guard],
        status_code=200,
        tags=[kind.name],
        operation_id="typebot_start",
        dependencies=documented_body(StartTypebot),
    )
    async def typebot_start(request: Request[Any, Any, Any], services: Services, instanceName: str) -> Any:
        data = decode_body(await request.body(), StartTypebot)
        admin = ChatbotAdmin(services.db, services.settings, kind)
        admin.check_enabled()
        if data.remoteJid == "status@broadcast":
            return None
        runtime = services.registry.require(instanceName)
        stored = await admin.settings_row(runtime.id)
        if ignored((stored or {}).get("ignoreJids"), data.remoteJid):
            raise plain_error("Jid not allowed")
        settings = {name: (stored or {}).get(name) for name in BEHAVIOUR_NAMES}
        if stored is None:
            await admin.save_settings(runtime.id, settings)
        prefilled = {v.name: v.value for v in data.variables or []}
        if data.startSession:
            bot = await _find_or_create(services, runtime.id, data, settings)
            async with services.db.transaction() as session:
                await session.execute(
                    delete(IntegrationSession).where(
                        IntegrationSession.instanceId == runtime.id,
                        IntegrationSession.remoteJid == data.remoteJid,
                        IntegrationSession.botId.is_not(None),
                    )
                )
            engine = next((i for i in services.integrations if isinstance(i, ChatbotEngine)), None)
            if engine is not None:
                await engine.start_with(kind, runtime, bot, data.remoteJid, prefilled)
        else:
            backend = TypebotBackend(BackendContext(services.settings, services.outbound, services.db))
            try:
                started = await backend.start_chat(data.url.rstrip("/"), data.typebot, prefilled)
            except Exception:  # noqa: BLE001 - upstream answers an empty body when Typebot fails
                return None
            for reply in render(started, settings):
                await send_reply(services.messaging, instanceName, data.remoteJid, reply, settings)
            await runtime.emit(
                names.TYPEBOT_START,
                {
                    "remoteJid": data.remoteJid,
                    "url": data.url,
                    "typebot": data.typebot,
                    "variables": [msgspec.to_builtins(v) for v in data.variables or []],
                    "sessionId": str(started.get("sessionId", "")),
                },
            )
        typebot = {"url": data.url, "remoteJid": data.remoteJid, "typebot": data.typebot}
        return {"typebot": {"instanceName": instanceName, "typebot": {**typebot, "prefilledVariables": prefilled}}}

    return [typebot_start]


async def _find_or_create(
    services: Services, instance_id: str, data: StartTypebot, settings: dict[str, Any]
) -> dict[str, Any]:
    async with services.db.transaction() as session:
        row = await session.scalar(
            select(Typebot).where(
                Typebot.instanceId == instance_id, Typebot.url == data.url, Typebot.typebot == data.typebot
            )
        )
        if row is None:
            row = Typebot(
                enabled=True,
                url=data.url,
                typebot=data.typebot,
                instanceId=instance_id,
                **{k: v for k, v in settings.items() if k not in ("debounceTime", "ignoreJids")},
            )
            session.add(row)
    PRESENCE.forget(instance_id)
    return as_dict(row)
