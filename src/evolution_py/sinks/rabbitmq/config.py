"""RABBITMQ_* environment variables → settings (upstream's names and defaults)."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import GLOBAL_EVENT_KEYS, global_env_name


class RabbitSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    uri: str = "amqp://guest:guest@localhost:5672"
    exchange_name: str = "evolution_exchange"
    frame_max: int = 8192
    global_enabled: bool = False
    # None when RABBITMQ_PREFIX_KEY is unset: global queues are then named `<wire event>` (upstream
    # would name its startup queues `undefined.<event>`).
    prefix_key: str | None = None
    global_events: frozenset[str] = frozenset()  # subscription keys switched on by RABBITMQ_EVENTS_*
    heartbeat: int = 30

    def global_queue(self, wire_name: str) -> str:
        return f"{self.prefix_key}.{wire_name}" if self.prefix_key else wire_name


def load_rabbitmq_settings(env: Env) -> RabbitSettings:
    enabled = env.flag("RABBITMQ_ENABLED", False)
    uri = env.text("RABBITMQ_URI", "amqp://guest:guest@localhost:5672")
    if enabled:
        parts = urlsplit(uri)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ConfigError(f"RABBITMQ_URI: expected amqp://user:pass@host:port/vhost, got {uri!r}")
    prefix = env.raw("RABBITMQ_PREFIX_KEY")
    return RabbitSettings(
        enabled=enabled,
        uri=uri,
        exchange_name=env.text("RABBITMQ_EXCHANGE_NAME", "evolution_exchange"),
        frame_max=env.integer("RABBITMQ_FRAME_MAX", 8192, minimum=4096),
        global_enabled=env.flag("RABBITMQ_GLOBAL_ENABLED", False),
        prefix_key=prefix or None,
        global_events=frozenset(key for key in GLOBAL_EVENT_KEYS if env.flag(global_env_name("RABBITMQ", key))),
        # Not an upstream variable (upstream fixes 30 s): how fast a silently dead link is noticed.
        heartbeat=env.integer("RABBITMQ_HEARTBEAT", 30, minimum=1),
    )
