"""`/chatwoot` router: set and find an instance's Chatwoot settings (G or I key, as upstream), and the
webhook Chatwoot posts agent events to (no API key; the per-instance secret in its URL instead)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.response import Response

from evolution_py.api.auth import instance_guard, same_key
from evolution_py.api.openapi import documented_body
from evolution_py.api.validation import check_standard, json_object
from evolution_py.errors import BadRequest, Unauthorized, instance_not_found
from evolution_py.integrations.chatwoot.agent import BOT_ANSWER
from evolution_py.integrations.chatwoot.client import ChatwootError
from evolution_py.integrations.chatwoot.integration import ChatwootIntegration
from evolution_py.integrations.chatwoot.settings import (
    SET_SCHEMA,
    ChatwootSettings,
    found_body,
    webhook_secret,
    webhook_url,
)
from evolution_py.integrations.chatwoot.validation import days_problem, is_url
from evolution_py.services import Services

log = logging.getLogger("evolution_py.chatwoot")

DISABLED = "Chatwoot is disabled"


def chatwoot_of(services: Services) -> ChatwootIntegration:
    for integration in services.integrations:
        if isinstance(integration, ChatwootIntegration):
            return integration
    raise BadRequest(DISABLED)


def settings_problem(data: ChatwootSettings) -> str | None:
    """Upstream's controller checks, in its order and words (only when `enabled`), and ours."""
    if (problem := days_problem(data.daysLimitImportMessages)) is not None:
        return problem
    if not data.enabled:
        return None
    if not is_url(data.url):
        return "url is not valid"
    if not data.accountId:
        return "accountId is required"
    if not data.token:
        return "token is required"
    if data.signMsg is not True and data.signMsg is not False:
        return "signMsg is required"
    return None


class ChatwootEvent(msgspec.Struct, kw_only=True):
    """What Chatwoot posts to an inbox's webhook (the fields we read; others are allowed)."""

    event: str | None = None
    id: int | None = None
    content: str | None = None
    message_type: str | None = None
    private: bool | None = None
    source_id: str | None = None
    content_attributes: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None
    inbox: dict[str, Any] | None = None
    sender: dict[str, Any] | None = None


@post(
    "/chatwoot/set/{instanceName:str}",
    guards=[instance_guard],
    status_code=201,
    tags=["Chatwoot"],
    dependencies=documented_body(ChatwootSettings),
)
async def set_chatwoot(request: Request[Any, Any, Any], services: Services, instanceName: str) -> dict[str, Any]:
    body = await json_object(request)
    check_standard(body, SET_SCHEMA)
    chatwoot = chatwoot_of(services)
    runtime = services.registry.require(instanceName)
    data = msgspec.convert(body, ChatwootSettings, strict=False)
    if problem := settings_problem(data):
        raise BadRequest(problem)
    if data.enabled and data.url and "://" not in data.url:
        data.url = f"http://{data.url}"
    if data.signMsg is False:
        data.signDelimiter = None
    if not data.nameInbox:
        data.nameInbox = runtime.name
    url = webhook_url(services.settings.server_url, runtime.name, runtime.id, runtime.token)
    await chatwoot.configure(runtime.id, data, url)
    answer = {**body, "nameInbox": data.nameInbox, "webhook_url": url}
    if data.signMsg is False:
        answer["signDelimiter"] = None
    return answer


@get("/chatwoot/find/{instanceName:str}", guards=[instance_guard], tags=["Chatwoot"])
async def find_chatwoot(services: Services, instanceName: str) -> dict[str, Any]:
    chatwoot = chatwoot_of(services)
    runtime = services.registry.require(instanceName)
    row = await chatwoot.parts.settings.get(runtime.id)
    if row is None:
        return {
            "enabled": False,
            "url": "",
            "accountId": "",
            "token": "",
            "signMsg": False,
            "nameInbox": "",
            "webhook_url": "",
        }
    return {
        **found_body(row),
        "webhook_url": webhook_url(services.settings.server_url, runtime.name, runtime.id, runtime.token),
    }


@post(
    "/chatwoot/webhook/{instanceName:str}",
    status_code=200,
    tags=["Chatwoot"],
    dependencies=documented_body(ChatwootEvent),
)
async def chatwoot_webhook(request: Request[Any, Any, Any], services: Services, instanceName: str) -> Response[Any]:
    chatwoot = chatwoot_of(services)
    runtime = services.registry.get(instanceName)
    if runtime is None:
        raise instance_not_found(instanceName)
    # Upstream's webhook has no guard at all: anyone could send as the instance. Ours needs the
    # per-instance secret of the URL `/chatwoot/set` and `/chatwoot/find` give back.
    if not same_key(request.query_params.get("key") or "", webhook_secret(runtime.id, runtime.token)):
        raise Unauthorized()
    body = await json_object(request)
    settings = await chatwoot.parts.settings.get(runtime.id)
    if settings is None or not settings.active:
        return Response(None, status_code=200)
    try:
        await chatwoot.agent.receive(runtime, settings, body)
    except ChatwootError as exc:
        log.warning("chatwoot webhook of %s: %s", runtime.name, exc)
    return Response(BOT_ANSWER, status_code=200)


ROUTES = [set_chatwoot, find_chatwoot, chatwoot_webhook]
