"""RABBITMQ_* and WEBSOCKET_* parsing, and the subscription-key rules both sinks share."""

from __future__ import annotations

import pytest

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import EVENT_KEYS, GLOBAL_EVENT_KEYS, subscription_key, wire_names_of_key
from evolution_py.sinks.rabbitmq.config import load_rabbitmq_settings
from evolution_py.sinks.socketio.config import load_websocket_settings


def test_rabbitmq_defaults_and_global_flags() -> None:
    settings = load_rabbitmq_settings(
        Env(
            {
                "RABBITMQ_ENABLED": "true",
                "RABBITMQ_URI": "amqp://u:p@broker:5673/vh",
                "RABBITMQ_GLOBAL_ENABLED": "true",
                "RABBITMQ_EVENTS_MESSAGES_UPSERT": "true",
                "RABBITMQ_EVENTS_GROUPS_UPDATE": "true",
                "RABBITMQ_EVENTS_CALL": "false",
                "RABBITMQ_EVENTS_LOGOUT_INSTANCE": "true",  # not a global key upstream: ignored
            }
        )
    )
    assert settings.exchange_name == "evolution_exchange"
    assert settings.global_events == {"MESSAGES_UPSERT", "GROUP_UPDATE"}
    # Unset prefix: `<wire event>` (upstream's startup queues would be `undefined.<event>`).
    assert settings.prefix_key is None and settings.global_queue("messages.upsert") == "messages.upsert"
    prefixed = load_rabbitmq_settings(Env({"RABBITMQ_PREFIX_KEY": "evo"}))
    assert prefixed.global_queue("group-participants.update") == "evo.group-participants.update"


def test_rabbitmq_bad_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="RABBITMQ_URI"):
        load_rabbitmq_settings(Env({"RABBITMQ_ENABLED": "true", "RABBITMQ_URI": "http://nope"}))
    with pytest.raises(ConfigError, match="RABBITMQ_GLOBAL_ENABLED"):
        load_rabbitmq_settings(Env({"RABBITMQ_GLOBAL_ENABLED": "maybe"}))


def test_websocket_settings() -> None:
    settings = load_websocket_settings(
        Env(
            {"WEBSOCKET_ENABLED": "true", "WEBSOCKET_GLOBAL_EVENTS": "true", "WEBSOCKET_ALLOWED_HOSTS": "10.0.0.5, ::1"}
        )
    )
    assert settings.enabled and settings.global_events
    assert settings.allowed_hosts == {"10.0.0.5", "::1"}
    assert load_websocket_settings(Env({})).allowed_hosts == frozenset()


def test_subscription_keys_cover_every_listed_key() -> None:
    assert subscription_key("group-participants.update") == "GROUP_PARTICIPANTS_UPDATE"
    assert subscription_key("groups.update") == "GROUP_UPDATE"  # upstream looks up GROUPS_UPDATE: never delivered
    assert wire_names_of_key("GROUP_UPDATE") == ["groups.update"]
    for key in EVENT_KEYS:
        assert wire_names_of_key(key), key
    assert "STATUS_INSTANCE" not in GLOBAL_EVENT_KEYS and len(GLOBAL_EVENT_KEYS) == 28
