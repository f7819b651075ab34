"""Every sink this server knows, in one place: what the rest of the server asks of sinks as a group.

The instance service asks for the sink rows a `/instance/create` body describes and the sink tables
`fetchInstances` reports; the app asks for the sinks to put on the bus, their routes and the ASGI
wrapper (socket.io sits in front of Litestar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evolution_py.dto.instance import CreateInstanceRequest
from evolution_py.errors import BadRequest
from evolution_py.events.subscriptions import SubscriptionError, normalize_events
from evolution_py.sinks.webhook.config import header_problem
from evolution_py.store.models import Nats, Rabbitmq, Sqs, Websocket

if TYPE_CHECKING:
    from evolution_py.config import Settings


def sink_rows_from_create(settings: Settings, req: CreateInstanceRequest) -> dict[str, dict[str, Any]]:
    """The sink rows (by sink name) that a v2 create body asks for, validated; BadRequest otherwise."""
    env = settings.env
    rows: dict[str, dict[str, Any]] = {}
    try:
        if req.webhook is not None:
            if not req.webhook.url:
                raise BadRequest('webhook requires property "url"')
            if problem := header_problem(req.webhook.headers):
                raise BadRequest(problem)
            enabled = req.webhook.enabled is not False
            rows["webhook"] = {
                "url": req.webhook.url,
                "headers": req.webhook.headers,
                "enabled": enabled,
                "events": normalize_events("webhook", enabled, req.webhook.events),
                "webhookByEvents": bool(req.webhook.byEvents),
                "webhookBase64": bool(req.webhook.base64),
            }
        for kind, block, gate in (
            ("websocket", req.websocket, "WEBSOCKET_ENABLED"),
            ("rabbitmq", req.rabbitmq, "RABBITMQ_ENABLED"),
            ("nats", req.nats, "NATS_ENABLED"),
            ("sqs", req.sqs, "SQS_ENABLED"),
        ):
            if block is None or not env.flag(gate, False):
                continue
            enabled = block.enabled is not False
            rows[kind] = {"enabled": enabled, "events": normalize_events(kind, enabled, block.events)}
    except SubscriptionError as exc:
        raise BadRequest(str(exc)) from None
    return rows


def fetch_tables() -> list[tuple[str, Any]]:
    """`fetchInstances` keys and the per-instance sink tables behind them (the webhook row is not shown)."""
    return [("Rabbitmq", Rabbitmq), ("Nats", Nats), ("Sqs", Sqs), ("Websocket", Websocket)]
