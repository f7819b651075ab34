"""The picture cache: one fetch in flight per JID, answers kept for the TTL, failures are null."""

from __future__ import annotations

import asyncio

from evolution_py.channels.whatsapp_web.pictures import PictureCache


async def test_one_fetch_in_flight_then_cached_until_the_ttl() -> None:
    calls: list[str] = []
    release = asyncio.Event()

    async def fetch(jid: str) -> str | None:
        calls.append(jid)
        await release.wait()
        return f"https://pps/{jid}-{len(calls)}"

    cache = PictureCache(fetch, ttl=0.2)
    waiting = [asyncio.create_task(cache.url_of("a")) for _ in range(10)]
    await asyncio.sleep(0.05)
    release.set()
    assert await asyncio.gather(*waiting) == ["https://pps/a-1"] * 10
    assert calls == ["a"]
    assert await cache.url_of("a") == "https://pps/a-1"  # cached
    await asyncio.sleep(0.25)
    assert await cache.url_of("a") == "https://pps/a-2" and calls == ["a", "a"]  # the TTL passed


async def test_failures_answer_none_and_a_pushed_change_is_kept() -> None:
    async def fail(jid: str) -> str | None:
        raise RuntimeError("item-not-found")

    cache = PictureCache(fail, ttl=60)
    assert await cache.url_of("b") is None
    cache.remember("b", "https://pps/new")
    assert await cache.url_of("b") == "https://pps/new"


async def test_a_cancelled_fetch_releases_its_waiters() -> None:
    started = asyncio.Event()

    async def hang(jid: str) -> str | None:
        started.set()
        await asyncio.sleep(60)
        return "never"

    cache = PictureCache(hang, ttl=60, max_entries=2)
    first = asyncio.create_task(cache.url_of("c"))
    await started.wait()
    second = asyncio.create_task(cache.url_of("c"))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await asyncio.wait_for(second, 1) is None
