"""The per-instance Webhook row: what `/webhook/set` and a `/instance/create` `webhook` block store."""

from __future__ import annotations

from typing import Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import normalize_events
from evolution_py.sinks.webhook.config import WebhookConfig, header_problem

URL_REQUIRED = 'webhook requires property "url"'


def webhook_row(
    *,
    url: str,
    headers: dict[str, Any] | None,
    enabled: bool,
    events: list[str] | None,
    by_events: bool | None,
    base64: bool | None,
) -> dict[str, Any]:
    """The stored row; BadRequest for headers that cannot be sent, SubscriptionError for an unknown key."""
    if problem := header_problem(headers):
        raise BadRequest(problem)
    return {
        "url": url,
        "headers": headers,
        "enabled": enabled,
        "events": normalize_events("webhook", enabled, events),
        "webhookByEvents": bool(by_events),
        "webhookBase64": bool(base64),
    }


def row_from_create(_config: WebhookConfig, req: CreateInstanceRequest) -> dict[str, Any] | None:
    block = req.webhook
    if block is None:
        return None
    if not block.url:
        raise BadRequest(URL_REQUIRED)
    return webhook_row(
        url=block.url,
        headers=block.headers,
        enabled=block.enabled is not False,
        events=block.events,
        by_events=block.byEvents,
        base64=block.base64,
    )
