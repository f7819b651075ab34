"""The CACHE_* variables, as upstream 2.3.6's env.config.ts reads them."""

from __future__ import annotations

import msgspec

from evolution_py.config import ConfigError, Env


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    redis_enabled: bool = False
    redis_uri: str = ""
    prefix_key: str = "evolution-cache"  # upstream's default
    redis_ttl: int = 604800  # 7 days, upstream's default
    save_instances: bool = False
    local_enabled: bool = False
    local_ttl: int = 86400  # 1 day, upstream's default


def cache_settings(env: Env) -> CacheSettings:
    redis_enabled = env.flag("CACHE_REDIS_ENABLED", False)
    uri = env.text("CACHE_REDIS_URI")
    if redis_enabled and not uri:
        raise ConfigError("CACHE_REDIS_URI: required when CACHE_REDIS_ENABLED=true (e.g. redis://localhost:6379/6)")
    if uri and not uri.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"CACHE_REDIS_URI: expected redis://host:port/db, got {uri.split('@')[-1]!r}")
    return CacheSettings(
        redis_enabled=redis_enabled,
        redis_uri=uri,
        prefix_key=env.text("CACHE_REDIS_PREFIX_KEY", "evolution-cache"),
        redis_ttl=env.integer("CACHE_REDIS_TTL", 604800, minimum=1),
        save_instances=env.flag("CACHE_REDIS_SAVE_INSTANCES", False),
        local_enabled=env.flag("CACHE_LOCAL_ENABLED", False),
        # Upstream reads CACHE_REDIS_TTL for the local TTL too (a slip); CACHE_LOCAL_TTL is ours first.
        local_ttl=env.integer("CACHE_LOCAL_TTL", 86400, minimum=1),
    )
