"""`/webhook` router: the per-instance webhook configuration (upstream's event router for webhook)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get, post

from evolution_py.api.auth import instance_guard
from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SubscriptionError
from evolution_py.services import Services
from evolution_py.sinks.webhook import WEBHOOK
from evolution_py.sinks.webhook.config import header_problem
from evolution_py.sinks.webhook.guard import check_webhook_url
from evolution_py.sinks.webhook.rows import URL_REQUIRED, webhook_row


class WebhookSettings(msgspec.Struct, kw_only=True):
    enabled: bool
    url: str
    events: list[str] | None = None
    headers: dict[str, Any] | None = None
    byEvents: bool | None = None
    base64: bool | None = None


class WebhookSetRequest(msgspec.Struct, kw_only=True):
    webhook: WebhookSettings


@post("/webhook/set/{instanceName:str}", guards=[instance_guard], status_code=201, tags=["Webhook"])
async def set_webhook(services: Services, instanceName: str, data: WebhookSetRequest) -> dict[str, Any]:
    runtime = services.registry.require(instanceName)
    block = data.webhook
    if not block.url.strip():
        raise BadRequest(URL_REQUIRED)
    problem = header_problem(block.headers)
    if problem:
        raise BadRequest(problem)
    await check_webhook_url(WEBHOOK.config(services.settings.env), block.url)
    try:
        row = webhook_row(
            url=block.url,
            headers=block.headers,
            enabled=block.enabled,
            events=block.events,
            by_events=block.byEvents,
            base64=block.base64,
        )
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    return await services.subscriptions.save("webhook", runtime.id, row)


@get("/webhook/find/{instanceName:str}", guards=[instance_guard], tags=["Webhook"])
async def find_webhook(services: Services, instanceName: str) -> dict[str, Any] | None:
    runtime = services.registry.require(instanceName)
    return await services.subscriptions.find("webhook", runtime.id)


ROUTES = [set_webhook, find_webhook]
