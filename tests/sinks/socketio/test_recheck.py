"""What a cluster node does for the readers connected to it when an instance goes away on another
node (sinks/socketio/sink.py, stream.py): the /ws relay's "end" closes this node's socket.io
clients and /ws streams of that namespace, and the periodic recheck closes those whose handshake
key no longer opens their namespace (the "end" was lost, or the instance was re-created with a new
token). Run here on one real server, with the instance removed behind the sink's back."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from evolution_py.core.loader import close_quietly
from evolution_py.sinks.socketio import WEBSOCKET
from evolution_py.sinks.socketio.testing import sio_listener
from tests.conftest import ServerFactory
from tests.sinks.socketio.test_socketio import WS_ENV, ws_url
from tests.support.server import unique


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_readers_whose_instance_is_gone_elsewhere_are_closed(server_factory: ServerFactory) -> None:
    async with server_factory(**WS_ENV) as server:
        a, b = unique("rca"), unique("rcb")
        token_a = (await server.create_instance(a))["hash"]
        token_b = (await server.create_instance(b))["hash"]
        sink = server.services.sinks.get(WEBSOCKET)
        assert sink is not None
        async with (
            sio_listener(server.base_url, f"/{a}", auth={"apikey": token_a}) as reader_a,
            sio_listener(server.base_url, f"/{a}", auth={"apikey": server.api_key}) as operator_a,
            sio_listener(server.base_url, f"/{b}", auth={"apikey": token_b}) as reader_b,
            sio_listener(server.base_url, "/", auth={"apikey": server.api_key}) as operator,
            websockets.connect(ws_url(server, apikey=token_a, instance=a)) as stream_a,
        ):
            await asyncio.sleep(0.1)
            assert await sink.recheck_clients() == 0
            assert sink.hub.revalidate() == 0

            # `a` is gone (deleted through another node): its token, and the namespace itself, no
            # longer open anything.
            removed = server.services.registry.remove(a)
            assert removed is not None
            assert await sink.recheck_clients() == 2
            await asyncio.wait_for(reader_a.disconnected.wait(), 5)
            await asyncio.wait_for(operator_a.disconnected.wait(), 5)
            assert sink.hub.revalidate() == 1
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(stream_a.recv(), 5)
            assert (stream_a.close_code, stream_a.close_reason) == (4410, "instance removed")
            assert not reader_b.disconnected.is_set() and not operator.disconnected.is_set()

            # Another node removed `b` and said so over the relay: its readers here close at once.
            sink.hub.remote_end(f"/{b}")
            await asyncio.wait_for(reader_b.disconnected.wait(), 5)
            assert await sink.recheck_clients() == 0
            assert not operator.disconnected.is_set()
        await close_quietly(removed)  # (its close says remove.instance: after the checks above)
