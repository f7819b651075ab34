"""NATS_* environment variables → settings (upstream's names and defaults)."""

from __future__ import annotations

from urllib.parse import urlsplit

import msgspec

from evolution_py.config import ConfigError, Env
from evolution_py.events.names import GLOBAL_EVENT_KEYS, global_env_name


class NatsSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    servers: tuple[str, ...] = ()  # NATS_URI, comma-separated as nats.js accepts
    global_enabled: bool = False
    prefix_key: str | None = None  # NATS_PREFIX_KEY: global subjects are `<prefix>.<wire event>`
    global_events: frozenset[str] = frozenset()  # subscription keys switched on by NATS_EVENTS_*
    # Not upstream's: how often the link is pinged, so a silent network is noticed (seconds).
    ping_interval: int = 20
    # Not upstream's: how long a JetStream ack or a plain publish's flush may take (seconds).
    ack_timeout: float = 10.0

    def global_subject(self, wire_name: str) -> str:
        return f"{self.prefix_key}.{wire_name}" if self.prefix_key else wire_name


def load_nats_settings(env: Env) -> NatsSettings:
    enabled = env.flag("NATS_ENABLED", False)
    servers = tuple(part.strip() for part in env.text("NATS_URI", "").split(",") if part.strip())
    if enabled:
        if not servers:
            raise ConfigError("NATS_URI: required when NATS_ENABLED=true (e.g. nats://localhost:4222)")
        for server in servers:
            parts = urlsplit(server)
            if parts.scheme not in ("nats", "tls", "ws", "wss") or not parts.hostname:
                raise ConfigError(f"NATS_URI: expected nats://[user:pass@]host:port, got {server!r}")
    prefix = env.raw("NATS_PREFIX_KEY")
    return NatsSettings(
        enabled=enabled,
        servers=servers,
        global_enabled=env.flag("NATS_GLOBAL_ENABLED", False),
        prefix_key=prefix or None,
        global_events=frozenset(key for key in GLOBAL_EVENT_KEYS if env.flag(global_env_name("NATS", key))),
        ping_interval=env.integer("NATS_PING_INTERVAL", 20, minimum=1),
        ack_timeout=float(env.integer("NATS_ACK_TIMEOUT", 10, minimum=1)),
    )
