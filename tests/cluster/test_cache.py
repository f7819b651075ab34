"""CACHE_REDIS_* / CACHE_LOCAL_* on a real Redis: values shared through Redis under the prefix key,
and Redis going away (a dead port, or cut mid-way through a proxy) degrades to the local cache with
one warning, never an exception."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from evolution_py.cache import Cache, cache_settings
from evolution_py.cache.layered import GROUP_METADATA, INSTANCE
from evolution_py.config import ConfigError, Env
from tests.cluster.tcp_proxy import TcpProxy
from tests.support.server import free_port

REDIS = "redis://127.0.0.1:6379/0"


def _settings(uri: str, prefix: str, **extra: str) -> Cache:
    env = {"CACHE_REDIS_ENABLED": "true", "CACHE_REDIS_URI": uri, "CACHE_REDIS_PREFIX_KEY": prefix, **extra}
    return Cache(cache_settings(Env(env)), timeout=0.3, retry_after=0.5)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"cluster-test-{uuid.uuid4().hex[:8]}"
    yield name
    client = aioredis.Redis.from_url(REDIS)
    keys = [k async for k in client.scan_iter(f"{name}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def test_settings_as_upstream() -> None:
    s = cache_settings(Env({}))
    assert (s.redis_enabled, s.prefix_key, s.redis_ttl, s.local_enabled, s.local_ttl) == (
        False,
        "evolution-cache",
        604800,
        False,
        86400,
    )
    with pytest.raises(ConfigError, match="CACHE_REDIS_URI"):
        cache_settings(Env({"CACHE_REDIS_ENABLED": "true"}))
    with pytest.raises(ConfigError, match="CACHE_REDIS_TTL"):
        cache_settings(Env({"CACHE_REDIS_TTL": "soon"}))


async def test_values_live_in_redis_under_the_prefix(prefix: str) -> None:
    cache = _settings(REDIS, prefix, CACHE_REDIS_TTL="120")
    other_node = _settings(REDIS, prefix)
    await cache.set(GROUP_METADATA, "i1:123@g.us", {"participants": ["1@s.whatsapp.net"]})
    assert await other_node.get(GROUP_METADATA, "i1:123@g.us") == {"participants": ["1@s.whatsapp.net"]}
    raw = aioredis.Redis.from_url(REDIS)
    assert await raw.get(f"{prefix}:groupCache:i1:123@g.us") == b'{"participants":["1@s.whatsapp.net"]}'
    assert 100 < await raw.ttl(f"{prefix}:groupCache:i1:123@g.us") <= 120
    await other_node.delete(GROUP_METADATA, "i1:123@g.us")
    assert await cache.get(GROUP_METADATA, "i1:123@g.us") is None  # Redis answers first, not a stale copy
    assert await raw.get(f"{prefix}:groupCache:i1:123@g.us") is None
    await raw.aclose()
    await cache.close()
    await other_node.close()


async def test_local_only_and_disabled() -> None:
    local = Cache(cache_settings(Env({"CACHE_LOCAL_ENABLED": "true", "CACHE_LOCAL_TTL": "1"})))
    await local.set(INSTANCE, "a", {"id": "x"})
    assert await local.get(INSTANCE, "a") == {"id": "x"}
    local.local.set(local.key(INSTANCE, "b"), b"1", ttl=0.01)
    await asyncio.sleep(0.02)
    assert await local.get(INSTANCE, "b") is None
    off = Cache(cache_settings(Env({})))
    calls = []

    async def produce() -> dict[str, int]:
        calls.append(1)
        return {"n": len(calls)}

    assert await off.remember(INSTANCE, "k", produce) == {"n": 1}
    assert await off.remember(INSTANCE, "k", produce) == {"n": 2}  # no cache: asked each time
    assert await local.remember(INSTANCE, "k", produce) == {"n": 3}
    assert await local.remember(INSTANCE, "k", produce) == {"n": 3}


async def test_dead_redis_degrades_to_local_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    cache = _settings(f"redis://127.0.0.1:{free_port()}/0", "dead")
    with caplog.at_level(logging.WARNING, logger="evolution_py.cache.layered"):
        started = time.monotonic()
        for n in range(20):
            await cache.set(INSTANCE, f"k{n}", {"n": n})
            assert await cache.get(INSTANCE, f"k{n}") == {"n": n}
        elapsed = time.monotonic() - started
    # One failed attempt, then the retry window: 40 calls do not each wait for the dead server.
    assert elapsed < 2.0
    assert sum("does not answer" in r.getMessage() for r in caplog.records) == 1
    assert not cache.redis_up
    await cache.close()


async def test_redis_cut_mid_way_and_back(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    cache = _settings(f"redis://127.0.0.1:{proxy.port}/0", prefix)
    raw = aioredis.Redis.from_url(REDIS)
    try:
        await cache.set(INSTANCE, "before", {"v": 1})
        assert await raw.get(f"{prefix}:instance:before") == b'{"v":1}'

        proxy.cut()
        with caplog.at_level(logging.WARNING, logger="evolution_py.cache.layered"):
            assert await cache.get(INSTANCE, "before") == {"v": 1}  # the local copy answers
            await cache.set(INSTANCE, "during", {"v": 2})  # no exception
            assert await cache.get(INSTANCE, "during") == {"v": 2}
        assert any("does not answer" in r.getMessage() for r in caplog.records)
        assert await raw.get(f"{prefix}:instance:during") is None  # Redis never saw it

        proxy.restore()
        await asyncio.sleep(0.6)  # past retry_after
        await cache.set(INSTANCE, "after", {"v": 3})
        assert cache.redis_up
        assert await raw.get(f"{prefix}:instance:after") == b'{"v":3}'
    finally:
        await raw.aclose()
        await cache.close()
        await proxy.stop()
