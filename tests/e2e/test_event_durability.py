"""Fault tests: every accepted event reaches the webhook receiver across a receiver outage, a
graceful restart and a `kill -9` of the server. Counted by unique event ids at the receiver."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from evolution_py.sinks.webhook.testing import Receiver
from tests.support.databases import database_env
from tests.support.process import ServerProcess
from tests.support.server import TEST_API_KEY, free_port, unique

FAST_RETRY = {
    "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.1",
    "WEBHOOK_RETRY_MAX_DELAY_SECONDS": "0.5",
    "WEBHOOK_RETRY_MAX_ATTEMPTS": "1000",
}


async def send_texts(client: httpx.AsyncClient, name: str, count: int, key: str = TEST_API_KEY) -> list[str]:
    """Send `count` texts; returns the message ids the server accepted (answered 201)."""
    ids = []
    for index in range(count):
        response = await client.post(
            f"/message/sendText/{name}", json={"number": "5511777776666", "text": f"m{index}"}, headers={"apikey": key}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["key"]["id"])
    return ids


def delivered_message_ids(receiver: Receiver) -> set[str]:
    return {r.body["data"]["key"]["id"] for r in receiver.events("send.message")}


async def test_receiver_down_then_up(server_factory: Any) -> None:
    receiver = Receiver()  # not listening yet: every attempt is refused
    async with server_factory(**FAST_RETRY) as srv:
        name = unique()
        await srv.create_instance(name, webhook={"url": receiver.url + "/hook", "events": ["SEND_MESSAGE"]})
        accepted = await send_texts(srv.client, name, 40)
        await asyncio.sleep(0.8)  # several refused attempts per delivery
        async with receiver:
            await receiver.wait_for(lambda r: delivered_message_ids(r) == set(accepted), within=20)
            await srv.services.bus.drain()
            # No crash happened, so every event arrived exactly once.
            ids = [r.event_id for r in receiver.requests]
            assert len(ids) == len(set(ids)) == 40
        dead = await srv.client.get(f"/events/dead/{name}", headers=srv.headers())
        assert dead.json()["total"] == 0


async def test_backlog_beyond_memory_bound_pages_from_the_outbox(server_factory: Any) -> None:
    # 20 deliveries at most in memory; 150 owed while the receiver is down.
    receiver = Receiver()
    async with server_factory(**FAST_RETRY, EVENT_BUS_MAX_IN_MEMORY="20") as srv:
        name = unique()
        await srv.create_instance(name, webhook={"url": receiver.url, "events": ["SEND_MESSAGE"]})
        accepted = await send_texts(srv.client, name, 150)
        dispatcher = srv.services.bus._dispatchers["webhook"]
        assert len(dispatcher._held) <= 20
        await asyncio.sleep(0.5)
        async with receiver:
            await receiver.wait_for(lambda r: delivered_message_ids(r) == set(accepted), within=30)
            await srv.services.bus.drain()
            ids = [r.event_id for r in receiver.requests]
            assert len(ids) == len(set(ids)) == 150  # no crash, so no duplicate either
        assert len(dispatcher._held) == 0


async def test_graceful_restart_resumes_pending_deliveries(server_factory: Any) -> None:
    receiver = Receiver()
    async with server_factory(**FAST_RETRY) as first:
        name = unique()
        await first.create_instance(name, webhook={"url": receiver.url, "events": ["SEND_MESSAGE", "INSTANCE_CREATE"]})
        accepted = await send_texts(first.client, name, 30)
    # The server stopped with 31 deliveries owed; the next start pages them in (10 at a time).
    async with receiver:
        async with server_factory(**FAST_RETRY, EVENT_BUS_MAX_IN_MEMORY="10") as second:
            await receiver.wait_for(lambda r: delivered_message_ids(r) == set(accepted), within=20)
            await receiver.wait_for(lambda r: len(r.events("instance.create")) == 1)
            await second.services.bus.drain()
            ids = [r.event_id for r in receiver.requests]
            assert len(ids) == len(set(ids)) == 31


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
async def test_stop_mid_stream_loses_nothing(tmp_path: Path, db_kind: str, stop_signal: signal.Signals) -> None:
    # A slow receiver and 2 slots per target keep a backlog in the outbox when the signal lands.
    async with Receiver(delay=0.02) as receiver, database_env(db_kind, tmp_path) as db_env:
        # A small memory bound makes the server spill to the outbox mid-stream and page at restart.
        env = {**db_env, **FAST_RETRY, "WEBHOOK_CONCURRENCY_PER_TARGET": "2", "EVENT_BUS_MAX_IN_MEMORY": "40"}
        port = free_port()
        server = ServerProcess(tmp_path, env, port=port)
        accepted: list[str] = []
        enough = asyncio.Event()
        try:
            await server.start()
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
                name = unique()
                created = await client.post(
                    "/instance/create",
                    json={
                        "instanceName": name,
                        "integration": "EVOLUTION",
                        "webhook": {"url": receiver.url, "events": ["SEND_MESSAGE"]},
                    },
                    headers={"apikey": TEST_API_KEY},
                )
                assert created.status_code == 201, created.text

                async def stream(worker: int) -> None:
                    index = 0
                    while True:
                        try:
                            response = await client.post(
                                f"/message/sendText/{name}",
                                json={"number": "5511777776666", "text": f"w{worker}-{index}"},
                                headers={"apikey": TEST_API_KEY},
                            )
                        except httpx.TransportError:
                            return  # the server is gone; this request was never accepted
                        if response.status_code == 201:
                            accepted.append(response.json()["key"]["id"])
                            if len(accepted) >= 150:
                                enough.set()
                        index += 1

                workers = [asyncio.create_task(stream(n)) for n in range(8)]
                await asyncio.wait_for(enough.wait(), timeout=60)
                await server.signal(stop_signal)
                await asyncio.gather(*workers)
            owed = len(set(accepted) - delivered_message_ids(receiver))
            assert owed > 0, "the stop should land while deliveries are still owed"

            restarted = ServerProcess(tmp_path, env, port=port)
            server = restarted
            await restarted.start()
            await receiver.wait_for(lambda r: set(accepted) <= delivered_message_ids(r), within=60)
            # Every accepted event arrived. A few more may have: sends committed by the bus whose
            # 201 was cut off by the kill. Duplicates are allowed only for deliveries in flight at
            # the kill (2 slots) or delivered with their ack not yet committed.
            unique_ids = {r.event_id for r in receiver.requests}
            assert len(unique_ids) >= len(set(accepted))
            assert len(unique_ids) - len(set(accepted)) <= 8  # at most one cut-off request per worker
            duplicates = len(receiver.requests) - len(unique_ids)
            print(f"{stop_signal.name}: accepted {len(set(accepted))}, owed at stop {owed}, duplicates {duplicates}")
            if stop_signal == signal.SIGTERM:
                assert duplicates == 0  # a graceful stop records every outcome before exiting
            else:
                assert duplicates <= 50
        finally:
            server.ensure_stopped()
