"""`Cache`: Redis when CACHE_REDIS_ENABLED, the local cache when CACHE_LOCAL_ENABLED, and the local
cache as well whenever Redis does not answer.

Redis' failures never reach the caller: a failed or slow call (past `timeout`) logs one warning,
marks Redis down for `retry_after` seconds (no request waits on a dead server meanwhile), and the
call is served by the local cache. The first call after that window tries Redis again; when it
answers, an info line says so. Values are JSON (msgspec), keys `<prefix>:<namespace>:<key>` as
upstream lays them out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec
import redis.asyncio as aioredis

from evolution_py.cache.config import CacheSettings
from evolution_py.cache.local import LocalCache

log = logging.getLogger(__name__)

# Upstream's cache names (cache.service instances): group metadata and the instance cache.
GROUP_METADATA = "groupCache"
INSTANCE = "instance"


class Cache:
    def __init__(self, settings: CacheSettings, *, timeout: float = 0.5, retry_after: float = 5.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.retry_after = retry_after
        self.local = LocalCache(settings.local_ttl)
        self._redis: aioredis.Redis | None = None
        if settings.redis_enabled:
            self._redis = aioredis.Redis.from_url(
                settings.redis_uri, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=0
            )
        self._down_until = 0.0
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self._redis is not None or self.settings.local_enabled

    @property
    def redis_up(self) -> bool:
        return self._redis is not None and self._down_until <= time.monotonic()

    @property
    def redis(self) -> aioredis.Redis | None:
        """The client, for the cluster's own keys (heartbeats, pub/sub); None unless enabled."""
        return self._redis

    def key(self, namespace: str, key: str) -> str:
        return f"{self.settings.prefix_key}:{namespace}:{key}"

    async def get(self, namespace: str, key: str) -> Any | None:
        full = self.key(namespace, key)
        raw: bytes | None = None
        if self.redis_up:
            raw = await self._call(lambda r: r.get(full))
            if raw is None and not self.redis_up:  # it just failed: the local copy answers
                raw = self.local.get(full)
        elif self._redis is not None or self.settings.local_enabled:
            raw = self.local.get(full)
        return None if raw is None else msgspec.json.decode(raw)

    async def set(self, namespace: str, key: str, value: Any, ttl: int | None = None) -> None:
        full = self.key(namespace, key)
        raw = msgspec.json.encode(value)
        if self._redis is not None:
            # The local copy too: it answers while Redis is down.
            self.local.set(full, raw, ttl if ttl is not None else min(self.settings.local_ttl, self.settings.redis_ttl))
            if self.redis_up:
                await self._call(lambda r: r.set(full, raw, ex=ttl or self.settings.redis_ttl))
        elif self.settings.local_enabled:
            self.local.set(full, raw, ttl)

    async def delete(self, namespace: str, key: str) -> None:
        full = self.key(namespace, key)
        self.local.delete(full)
        if self.redis_up:
            await self._call(lambda r: r.delete(full))

    async def remember(self, namespace: str, key: str, produce: Any, ttl: int | None = None) -> Any:
        """The cached value, else `await produce()` stored (no cache configured: produce() each time)."""
        if not self.enabled:
            return await produce()
        value = await self.get(namespace, key)
        if value is None:
            value = await produce()
            if value is not None:
                await self.set(namespace, key, value, ttl)
        return value

    async def _call(self, action: Any) -> Any:
        assert self._redis is not None
        try:
            result = await asyncio.wait_for(action(self._redis), self.timeout)
        except (TimeoutError, aioredis.RedisError, OSError) as exc:
            self._down_until = time.monotonic() + self.retry_after
            if not self._warned:
                self._warned = True
                log.warning(
                    "Redis cache (CACHE_REDIS_URI) does not answer (%s): serving from the local cache, "
                    "retrying every %.0f s",
                    type(exc).__name__,
                    self.retry_after,
                )
            return None
        if self._warned:
            self._warned = False
            log.info("Redis cache answers again")
        return result

    async def close(self) -> None:
        if self._redis is not None:
            try:
                await self._redis.aclose()
            except (aioredis.RedisError, OSError):
                pass
