"""The CLUSTER_* variables (docs/cluster.md)."""

from __future__ import annotations

import socket

import msgspec

from evolution_py.cache.config import CacheSettings
from evolution_py.config import ConfigError, Env


class ClusterSettings(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = False
    node_id: str = ""
    advertise_url: str = ""
    lease_seconds: float = 10.0
    # Instances claimed or handed over per tick: a joining node takes its share in steps, so the
    # WhatsApp sessions do not all reconnect in the same instant.
    move_batch: int = 50


def cluster_settings(env: Env, *, database_provider: str, cache: CacheSettings, port: int) -> ClusterSettings:
    if not env.flag("CLUSTER_ENABLED", False):
        return ClusterSettings()
    if database_provider not in ("postgresql", "psql_bouncer"):
        raise ConfigError(
            f"CLUSTER_ENABLED=true needs DATABASE_PROVIDER=postgresql (got {database_provider}): "
            "the nodes share their leases and outbox through PostgreSQL"
        )
    if not (cache.redis_enabled and cache.redis_uri):
        raise ConfigError(
            "CLUSTER_ENABLED=true needs CACHE_REDIS_ENABLED=true and CACHE_REDIS_URI: "
            "the nodes share their cache and events through Redis"
        )
    node_id = env.text("CLUSTER_NODE_ID", f"{socket.gethostname()}:{port}")
    advertise = env.text("CLUSTER_ADVERTISE_URL", f"http://{socket.gethostname()}:{port}").rstrip("/")
    if not advertise.startswith(("http://", "https://")):
        raise ConfigError(f"CLUSTER_ADVERTISE_URL: expected http(s)://host:port, got {advertise!r}")
    lease = env.number("CLUSTER_LEASE_SECONDS", 10.0)
    if lease < 1:
        raise ConfigError(f"CLUSTER_LEASE_SECONDS: must be at least 1, got {lease}")
    return ClusterSettings(
        enabled=True,
        node_id=node_id,
        advertise_url=advertise,
        lease_seconds=lease,
        move_batch=env.integer("CLUSTER_MOVE_BATCH", 50, minimum=1),
    )
