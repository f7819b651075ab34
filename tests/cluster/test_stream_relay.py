"""The /ws relay on a real Redis, two hubs standing for two nodes in one process: an event published
on one hub reaches the other's streams of that namespace byte for byte and in order, never the
publisher's own streams twice; an instance's end closes its streams everywhere; with Redis cut (a
TCP proxy) local streams still get local events and one warning is logged; a stream whose key no
longer opens its namespace is ended by the periodic recheck."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as aioredis

from evolution_py.cluster.stream_relay import StreamRelay
from evolution_py.sinks.socketio.stream import StreamHub, StreamSubscriber
from tests.cluster.tcp_proxy import TcpProxy

REDIS_PORT = 6379


def _client(port: int = REDIS_PORT) -> aioredis.Redis:
    # The cache's client settings (cache/layered.py): short timeouts, no health checks.
    return aioredis.Redis.from_url(
        f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.3, socket_timeout=0.3, health_check_interval=0
    )


@asynccontextmanager
async def _node(
    channel: str, port: int = REDIS_PORT, *, retry_after: float = 1.0, recheck_every: float = 5.0
) -> AsyncIterator[StreamHub]:
    hub = StreamHub(100)
    client = _client(port)
    relay = StreamRelay(client, channel, hub, retry_after=retry_after, recheck_every=recheck_every).attach()
    await hub.start()
    try:
        await asyncio.wait_for(relay.ready.wait(), 5)
        yield hub
    finally:
        await hub.stop()
        await client.aclose()


async def _take(subscriber: StreamSubscriber, count: int, within: float = 5.0) -> list[bytes]:
    return [await asyncio.wait_for(subscriber.queue.get(), within) for _ in range(count)]


async def _until(condition: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_events_reach_the_other_node_once_in_order() -> None:
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    async with _node(channel) as owner, _node(channel) as other:
        mine = owner.subscribe("/a", None)
        theirs = other.subscribe("/a", None)
        filtered = other.subscribe("/a", frozenset({"send.message"}))
        stranger = other.subscribe("/b", None)
        payloads = [b'{"event":"messages.upsert","n":%d,"text":"\xc3\xa9\\u0000"}' % n for n in range(50)]
        for payload in payloads:
            owner.publish("/a", "messages.upsert", payload)
        owner.publish("/a", "send.message", b'{"event":"send.message"}')
        assert await _take(mine, 51) == [*payloads, b'{"event":"send.message"}']
        assert await _take(theirs, 51) == [*payloads, b'{"event":"send.message"}']
        assert await _take(filtered, 1) == [b'{"event":"send.message"}']

        # A marker from the other node, published after all of the owner's events reached Redis,
        # arrives after any echo of them would have: the owner's own streams got each event once.
        other.publish("/a", "presence.update", b"marker")
        assert await _take(mine, 1) == [b"marker"]
        assert mine.queue.empty() and filtered.queue.empty() and stranger.queue.empty()

        owner.end("/a")
        await asyncio.wait_for(theirs.ended.wait(), 5)
        assert mine.ended.is_set() and filtered.ended.is_set() and not stranger.ended.is_set()


async def test_local_streams_keep_their_events_while_redis_is_away(caplog: pytest.LogCaptureFixture) -> None:
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    proxy = TcpProxy("127.0.0.1", REDIS_PORT)
    await proxy.start()
    try:
        async with _node(channel, proxy.port, retry_after=0.2) as owner, _node(channel) as other:
            mine = owner.subscribe("/a", None)
            theirs = other.subscribe("/a", None)
            owner.publish("/a", "send.message", b"before")
            assert await _take(theirs, 1) == [b"before"]

            caplog.set_level(logging.INFO, logger="evolution_py.cluster.stream_relay")
            proxy.cut()
            for n in range(20):
                owner.publish("/a", "send.message", b"during %d" % n)
                await asyncio.sleep(0.02)
            assert await _take(mine, 21) == [b"before", *(b"during %d" % n for n in range(20))]
            await _until(lambda: "not sent to the other nodes" in caplog.text)
            sent_warnings = [r for r in caplog.records if "not sent to the other nodes" in r.getMessage()]
            assert len(sent_warnings) == 1 and sent_warnings[0].levelno == logging.WARNING
            assert theirs.queue.empty()

            proxy.restore()
            relay = owner.relay
            assert isinstance(relay, StreamRelay)
            await _until(lambda: relay.ready.is_set() and "heard again" in caplog.text)
            # Events sent again: the first publishes may still find the dead connection, so the
            # test sends until one arrives, then checks that it is the newest one.
            for n in range(100):
                owner.publish("/a", "send.message", b"after %d" % n)
                try:
                    got = await asyncio.wait_for(theirs.queue.get(), 0.1)
                except TimeoutError:
                    continue
                assert got.startswith(b"after ")
                break
            else:
                raise AssertionError("no event reached the other node after Redis came back")
            await _until(lambda: "reach the other nodes again" in caplog.text)
    finally:
        await proxy.stop()


async def test_a_stream_whose_key_no_longer_opens_its_namespace_is_ended() -> None:
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    allowed = {"token": True}
    async with _node(channel, recheck_every=0.05) as hub:
        kept = hub.subscribe("/a", None, lambda: True)
        revoked = hub.subscribe("/a", None, lambda: allowed["token"])
        await asyncio.sleep(0.2)
        assert not revoked.ended.is_set()
        allowed["token"] = False  # the instance was deleted, or re-created with another token
        await asyncio.wait_for(revoked.ended.wait(), 5)
        assert not kept.ended.is_set()


async def test_malformed_messages_are_ignored() -> None:
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    async with _node(channel) as hub, _node(channel) as other:
        stream = hub.subscribe("/a", None)
        client = _client()
        try:
            await client.publish(channel, b"not msgpack at all \xff")
            await client.publish(channel, b"\x93\x01\x02\x03")
        finally:
            await client.aclose()
        other.publish("/a", "send.message", b"fine")
        assert await _take(stream, 1) == [b"fine"]


async def test_a_key_that_cannot_be_checked_ends_its_stream_and_the_rechecks_go_on() -> None:
    """Fail closed: a stream whose key check raises is ended (before, the error ended the recheck
    loop, and every stream kept its events for good, revoked keys included)."""
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    allowed = {"token": True}

    def broken() -> bool:
        raise RuntimeError("the instance registry is unavailable")

    async with _node(channel, recheck_every=0.05) as hub:
        kept = hub.subscribe("/a", None, lambda: True)
        unsure = hub.subscribe("/a", None, broken)
        await asyncio.wait_for(unsure.ended.wait(), 5)
        revoked = hub.subscribe("/a", None, lambda: allowed["token"])
        allowed["token"] = False
        await asyncio.wait_for(revoked.ended.wait(), 5)  # the rechecks went on
        assert not kept.ended.is_set()


async def test_an_unexpected_publish_error_loses_that_event_only(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    channel = f"relay-test-{uuid.uuid4().hex[:8]}:cluster:ws"
    publish = aioredis.Redis.publish
    failures = [ValueError("an unexpected error")]

    async def publish_failing_once(self: aioredis.Redis, name: str, message: bytes) -> int:
        if failures and name == channel:
            raise failures.pop()
        return await publish(self, name, message)

    async with _node(channel) as hub, _node(channel) as other:
        stream = other.subscribe("/a", None)
        await asyncio.sleep(0.2)  # both listening
        monkeypatch.setattr(aioredis.Redis, "publish", publish_failing_once)
        hub.publish("/a", "send.message", b"lost")
        await _until(lambda: not failures)
        hub.publish("/a", "send.message", b"kept")
        assert await _take(stream, 1) == [b"kept"]
        assert "events not sent to the other nodes (ValueError)" in caplog.text
