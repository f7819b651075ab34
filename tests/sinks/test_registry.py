"""sinks/registry.py: the one list of sink kinds, and what the rest of the server asks of it."""

from __future__ import annotations

import pytest

from evolution_py.config import ConfigError, Env, Settings
from evolution_py.dto.instance import CreateInstanceRequest, EventsBlock, WebhookBlock
from evolution_py.errors import BadRequest
from evolution_py.events.bus import EventBus
from evolution_py.events.names import EVENT_KEYS
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.sinks.kind import SinkContext, TokenHolder
from evolution_py.sinks.rabbitmq import RABBITMQ
from evolution_py.sinks.registry import SINK_KINDS, fetch_tables, install_sinks, sink_rows_from_create
from evolution_py.sinks.socketio import WEBSOCKET
from evolution_py.sinks.webhook import WEBHOOK, WebhookSink
from evolution_py.store.db import Database
from evolution_py.store.models import Nats, Rabbitmq, Sqs, Websocket


class NoInstances:
    def get(self, name: str) -> TokenHolder | None:
        return None


def test_every_kind_is_listed_once() -> None:
    assert [kind.name for kind in SINK_KINDS] == ["webhook", "websocket", "rabbitmq", "nats", "sqs", "pusher", "kafka"]
    assert sorted(fetch_tables(), key=lambda item: item[0]) == [
        ("Nats", Nats),
        ("Rabbitmq", Rabbitmq),
        ("Sqs", Sqs),
        ("Websocket", Websocket),
    ]


async def test_rows_from_create_follow_each_kinds_switch() -> None:
    req = CreateInstanceRequest(
        instanceName="x",
        webhook=WebhookBlock(url="https://hooks.example.com/a", events=["SEND_MESSAGE"]),
        websocket=EventsBlock(enabled=True),
        rabbitmq=EventsBlock(enabled=False, events=["CALL"]),
        nats=EventsBlock(enabled=True, events=["CALL"]),
    )
    off = await sink_rows_from_create(Settings(env=Env({})), req)
    assert list(off) == ["webhook"] and off["webhook"]["events"] == ["SEND_MESSAGE"]
    on = await sink_rows_from_create(
        Settings(
            env=Env(
                {
                    "WEBSOCKET_ENABLED": "true",
                    "RABBITMQ_ENABLED": "true",
                    "NATS_ENABLED": "true",
                    "NATS_URI": "nats://127.0.0.1:4222",
                }
            )
        ),
        req,
    )
    assert on["websocket"] == {"enabled": True, "events": list(EVENT_KEYS)}
    assert on["rabbitmq"] == {"enabled": False, "events": []}
    assert on["nats"] == {"enabled": True, "events": ["CALL"]}
    with pytest.raises(BadRequest, match="nope"):
        await sink_rows_from_create(
            Settings(env=Env({})), CreateInstanceRequest(webhook=WebhookBlock(url="x", events=["nope"]))
        )


def test_settings_are_read_once_per_environment() -> None:
    env = Env({"WEBHOOK_BLOCK_PRIVATE_NETWORKS": "true"})
    assert WEBHOOK.config(env) is WEBHOOK.config(env)
    assert WEBHOOK.config(env).block_private_networks and not WEBHOOK.config(Env({})).block_private_networks


def test_install_builds_switched_on_sinks_and_reads_every_kind_at_start() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    context = SinkContext(Settings(env=Env({})), Subscriptions(db), NoInstances())
    bus = EventBus()
    installed = install_sinks(context, bus)
    assert isinstance(installed.get(WEBHOOK), WebhookSink)
    assert installed.get(RABBITMQ) is None and installed.get(WEBSOCKET) is None
    assert [sink.name for sink in bus.sinks] == ["webhook"]
    bad = SinkContext(Settings(env=Env({"SQS_ENABLED": "maybe"})), Subscriptions(db), NoInstances())
    with pytest.raises(ConfigError, match="SQS_ENABLED"):
        install_sinks(bad, EventBus())
