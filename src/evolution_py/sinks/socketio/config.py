"""WEBSOCKET_* environment variables → settings (upstream's names)."""

from __future__ import annotations

import msgspec

from evolution_py.config import Env


class WebsocketSettings(msgspec.Struct, kw_only=True, frozen=True):
    enabled: bool = False
    global_events: bool = False  # every event of every instance also goes to namespace "/"
    # Remote addresses that may connect without a key. Only when WEBSOCKET_ALLOWED_HOSTS is set:
    # upstream's implicit localhost default lets any local process read every instance.
    allowed_hosts: frozenset[str] = frozenset()
    cors_origins: tuple[str, ...] = ("*",)
    # Events a /ws client may have waiting before it is cut off as too slow.
    stream_buffer: int = 10_000
    # CLUSTER_ENABLED: the Redis every node's socket.io server shares (AsyncRedisManager), so an emit
    # on the node owning an instance reaches clients connected to any node; "" on a single node.
    cluster_redis_url: str = ""
    cluster_channel: str = ""


def load_websocket_settings(env: Env) -> WebsocketSettings:
    return WebsocketSettings(
        enabled=env.flag("WEBSOCKET_ENABLED", False),
        global_events=env.flag("WEBSOCKET_GLOBAL_EVENTS", False),
        allowed_hosts=frozenset(env.csv("WEBSOCKET_ALLOWED_HOSTS")),
        cors_origins=tuple(env.csv("CORS_ORIGIN", ["*"])),
        stream_buffer=env.integer("WEBSOCKET_STREAM_BUFFER", 10_000, minimum=10),
        cluster_redis_url=env.text("CACHE_REDIS_URI") if env.flag("CLUSTER_ENABLED", False) else "",
        cluster_channel=env.text("CACHE_REDIS_PREFIX_KEY", "evolution-cache") + ":cluster:socketio",
    )
