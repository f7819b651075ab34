"""OpenAI's own routes: `/openai/creds` (create, list with their bots, delete) and `/openai/getModels`."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, delete, get, post
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from evolution_py.api.auth import instance_guard
from evolution_py.api.errors import decode_body
from evolution_py.api.openapi import documented_body
from evolution_py.errors import BadRequest
from evolution_py.integrations.chatbots.admin import ChatbotAdmin, plain_error
from evolution_py.integrations.chatbots.kind import BackendError, BotKind
from evolution_py.integrations.chatbots.models import OpenaiBot, OpenaiCreds, OpenaiSetting
from evolution_py.integrations.chatbots.openai.client import OpenaiClient
from evolution_py.integrations.chatbots.rows import as_dict
from evolution_py.outbound import OutboundError
from evolution_py.services import Services


class CredsBody(msgspec.Struct, kw_only=True):
    name: str
    apiKey: str


def openai_routes(kind: BotKind) -> list[Any]:
    options: dict[str, Any] = {"guards": [instance_guard], "tags": [kind.name]}

    def admin(services: Services) -> ChatbotAdmin:
        found = ChatbotAdmin(services.db, services.settings, kind)
        found.check_enabled()
        return found

    @post(
        "/openai/creds/{instanceName:str}",
        status_code=201,
        operation_id="openai_creds_create",
        dependencies=documented_body(CredsBody),
        **options,
    )
    async def create_creds(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
        body = decode_body(await request.body(), CredsBody)
        admin(services)
        instance_id = services.registry.require(instanceName).id
        if not body.apiKey:
            raise BadRequest("API Key is required")
        if not body.name:
            raise BadRequest("Name is required")
        async with services.db.session() as session:
            if await session.scalar(select(OpenaiCreds.id).where(OpenaiCreds.apiKey == body.apiKey)):
                raise BadRequest("This API key is already registered. Please use a different API key.")
            if await session.scalar(
                select(OpenaiCreds.id).where(OpenaiCreds.name == body.name, OpenaiCreds.instanceId == instance_id)
            ):
                raise BadRequest("This credential name is already in use. Please choose a different name.")
        try:
            async with services.db.transaction() as session:
                row = OpenaiCreds(name=body.name, apiKey=body.apiKey, instanceId=instance_id)
                session.add(row)
        except Exception as exc:  # a name another instance holds, a race: upstream's generic message
            raise plain_error("Error creating openai creds") from exc
        return as_dict(row)

    @get("/openai/creds/{instanceName:str}", operation_id="openai_creds_find", **options)
    async def find_creds(services: Services, instanceName: str) -> list[dict[str, Any]]:
        admin(services)
        instance_id = services.registry.require(instanceName).id
        async with services.db.session() as session:
            creds = (await session.scalars(select(OpenaiCreds).where(OpenaiCreds.instanceId == instance_id))).all()
            bots = (await session.scalars(select(OpenaiBot).where(OpenaiBot.instanceId == instance_id))).all()
        return [{**as_dict(c), "OpenaiAssistant": [as_dict(b) for b in bots if b.openaiCredsId == c.id]} for c in creds]

    @delete(
        "/openai/creds/{openaiCredsId:str}/{instanceName:str}",
        status_code=200,
        operation_id="openai_creds_delete",
        **options,
    )
    async def delete_creds(services: Services, openaiCredsId: str, instanceName: str) -> dict[str, Any]:
        admin(services)
        instance_id = services.registry.require(instanceName).id
        async with services.db.transaction() as session:
            row = await session.get(OpenaiCreds, openaiCredsId)
            if row is None or row.instanceId != instance_id:
                raise plain_error("Openai Creds not found")
            await session.execute(sql_delete(OpenaiCreds).where(OpenaiCreds.id == openaiCredsId))
        return {"openaiCreds": {"id": openaiCredsId}}

    @get("/openai/getModels/{instanceName:str}", operation_id="openai_get_models", **options)
    async def get_models(services: Services, instanceName: str, openaiCredsId: str | None = None) -> list[Any]:
        admin(services)
        instance_id = services.registry.require(instanceName).id
        async with services.db.session() as session:
            if openaiCredsId:
                creds = await session.get(OpenaiCreds, openaiCredsId)
                if creds is None or creds.instanceId != instance_id:
                    raise plain_error("OpenAI credentials not found for the provided ID")
            else:
                settings = await session.scalar(select(OpenaiSetting).where(OpenaiSetting.instanceId == instance_id))
                if settings is None:
                    raise plain_error("Settings not found")
                creds = await session.get(OpenaiCreds, settings.openaiCredsId) if settings.openaiCredsId else None
                if creds is None:
                    raise plain_error(
                        "OpenAI credentials not found. Please create credentials and associate them with the settings."
                    )
        try:
            return await OpenaiClient(services.outbound, services.settings, creds.apiKey or "").models()
        except (BackendError, OutboundError) as exc:
            raise plain_error("Error fetching models") from exc

    return [create_creds, find_creds, delete_creds, get_models]
