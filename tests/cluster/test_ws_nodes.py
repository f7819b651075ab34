"""The plain /ws stream across nodes (issue 17): two real nodes on PostgreSQL and Redis, real
`websockets` clients. A client on the node that does not own an instance receives that instance's
events, frame for frame what a client on the owner receives, each once; an instance token opens only
its own instance there too, and a client never sees another instance's events; the global key reads
any instance, and `/` (WEBSOCKET_GLOBAL_EVENTS) gets every instance's events whichever node owns it;
deleting an instance closes its streams, and its socket.io clients, on every node."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from evolution_py.sinks.socketio.testing import sio_listener
from tests.cluster.nodes import LEASE_SECONDS, Cluster
from tests.support.databases import postgres_database
from tests.support.server import TEST_API_KEY

pytestmark = pytest.mark.slow

NAMES = [f"ws-{n:02d}" for n in range(6)]
INBOUND_EVENTS = ["messages.upsert", "contacts.upsert", "chats.upsert"]


def _number(name: str) -> str:
    return "5511600" + name.removeprefix("ws-").zfill(6)


def _ws(base: str, **query: str) -> str:
    return base.replace("http://", "ws://") + "/ws?" + urlencode(query)


async def _frames(stream: ClientConnection, count: int, within: float = 10.0) -> list[str]:
    frames: list[str] = []
    for _ in range(count):
        frame = await asyncio.wait_for(stream.recv(), within)
        assert isinstance(frame, str)
        frames.append(frame)
    return frames


async def _nothing_more(stream: ClientConnection, within: float = 0.7) -> None:
    try:
        extra = await asyncio.wait_for(stream.recv(), within)
    except TimeoutError:
        return
    raise AssertionError(f"an unexpected frame: {str(extra)[:200]}")


async def _refused(url: str) -> tuple[int, str]:
    async with websockets.connect(url) as stream:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(stream.recv(), 5)
        assert stream.close_code is not None
        return stream.close_code, stream.close_reason or ""


def _event_of(frame: str) -> tuple[str, str]:
    envelope = msgspec.json.decode(frame)
    return envelope["event"], envelope["instance"]


async def _inbound(client: httpx.AsyncClient, base: str, name: str, token: str, text: str) -> None:
    body = {
        "numberId": _number(name),
        "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False},
        "pushName": "Ana",
        "message": {"conversation": text},
    }
    sent = await client.post(base + "/webhook/evolution", json=body, headers={"apikey": token})
    assert sent.status_code == 200, sent.text


async def _send_text(client: httpx.AsyncClient, base: str, name: str, token: str, text: str) -> dict[str, Any]:
    sent = await client.post(
        f"{base}/message/sendText/{name}", json={"number": "5511999990000", "text": text}, headers={"apikey": token}
    )
    assert sent.status_code == 201, sent.text
    return sent.json()  # type: ignore[no-any-return]


async def test_ws_clients_on_any_node_receive_the_events_they_may_see(tmp_path: Path) -> None:
    async with postgres_database() as uri:
        cluster = Cluster(tmp_path, uri, 2)
        for node in cluster.nodes:
            node.env["WEBSOCKET_GLOBAL_EVENTS"] = "true"
        try:
            await cluster.start()
            await cluster.all_live()
            base = [node.base_url for node in cluster.nodes]
            tokens: dict[str, str] = {}
            async with httpx.AsyncClient(timeout=15) as client:
                socket = {"enabled": True, "events": []}  # every event on /<name>
                for name, created in (await cluster.create_evolution(client, NAMES, _number, websocket=socket)).items():
                    tokens[name] = created["hash"]
                owners = await cluster.spread(NAMES)
                await asyncio.sleep(LEASE_SECONDS)  # every node's directory knows every instance
                a, b = owners["node0"][0], owners["node1"][0]  # a is node0's, b is node1's

                # Instance tokens open only their own instance, on the non-owner as on the owner.
                for url in base:
                    assert await _refused(_ws(url, apikey=tokens[b], instance=a)) == (4401, "Authentication error")
                    assert await _refused(_ws(url, apikey=tokens[a])) == (4401, "Invalid global token")

                async with (
                    websockets.connect(_ws(base[0], apikey=tokens[a], instance=a)) as a_on_owner,
                    websockets.connect(_ws(base[1], apikey=tokens[a], instance=a)) as a_elsewhere,
                    websockets.connect(_ws(base[1], apikey=TEST_API_KEY, instance=a)) as a_global_key,
                    websockets.connect(_ws(base[0], apikey=tokens[b], instance=b)) as b_elsewhere,
                    websockets.connect(_ws(base[1], apikey=tokens[b], instance=b)) as b_on_owner,
                    websockets.connect(_ws(base[1], apikey=TEST_API_KEY)) as root,
                    websockets.connect(
                        _ws(base[1], apikey=tokens[a], instance=a, events="send.message")
                    ) as a_sends_elsewhere,
                    sio_listener(base[1], f"/{a}", auth={"apikey": tokens[a]}) as a_socketio_elsewhere,
                ):
                    await asyncio.sleep(0.3)  # every stream subscribed before the first event
                    # Each request through the node that does not own the instance (forwarded).
                    await _inbound(client, base[1], a, tokens[a], "hello a")
                    sent = await _send_text(client, base[1], a, tokens[a], "from a")
                    await _inbound(client, base[0], b, tokens[b], "hello b")

                    assert [e for e, _ in await a_socketio_elsewhere.wait_for(4)] == [*INBOUND_EVENTS, "send.message"]
                    seen_a = await _frames(a_on_owner, 4)
                    assert [_event_of(f) for f in seen_a] == [(e, a) for e in [*INBOUND_EVENTS, "send.message"]]
                    assert msgspec.json.decode(seen_a[3])["data"]["key"]["id"] == sent["key"]["id"]
                    assert await _frames(a_elsewhere, 4) == seen_a  # the same frames, byte for byte
                    assert await _frames(a_global_key, 4) == seen_a
                    assert await _frames(a_sends_elsewhere, 1) == seen_a[3:]
                    seen_b = await _frames(b_on_owner, 3)
                    assert [_event_of(f) for f in seen_b] == [(e, b) for e in INBOUND_EVENTS]
                    assert await _frames(b_elsewhere, 3) == seen_b
                    # Global mode: `/` on node1 gets both instances' events, whichever node owns them.
                    assert sorted(await _frames(root, 7)) == sorted(seen_a + seen_b)

                    # Each frame once: the next frame of every stream is the next event, and then
                    # nothing more arrives.
                    marker_a = await _send_text(client, base[0], a, tokens[a], "marker a")
                    marker_b = await _send_text(client, base[0], b, tokens[b], "marker b")
                    for stream, marker in (
                        (a_on_owner, marker_a),
                        (a_elsewhere, marker_a),
                        (a_global_key, marker_a),
                        (a_sends_elsewhere, marker_a),
                        (b_on_owner, marker_b),
                        (b_elsewhere, marker_b),
                    ):
                        (frame,) = await _frames(stream, 1)
                        assert msgspec.json.decode(frame)["data"]["key"]["id"] == marker["key"]["id"]
                    markers = [msgspec.json.decode(f)["data"]["key"]["id"] for f in await _frames(root, 2)]
                    assert sorted(markers) == sorted([marker_a["key"]["id"], marker_b["key"]["id"]])
                    for stream in (a_on_owner, a_elsewhere, a_global_key, a_sends_elsewhere, b_on_owner, b_elsewhere):
                        await _nothing_more(stream, 0.3)
                    await _nothing_more(root, 0.3)

                    # Deleting `a` (through node1) closes its streams on both nodes, after its last
                    # events; `b`'s stay open.
                    deleted = await client.delete(f"{base[1]}/instance/delete/{a}", headers={"apikey": TEST_API_KEY})
                    assert deleted.status_code == 200, deleted.text
                    for stream in (a_on_owner, a_elsewhere, a_global_key):
                        last: list[tuple[str, str]] = []
                        with pytest.raises(websockets.ConnectionClosed):
                            while True:
                                last.append(_event_of(str(await asyncio.wait_for(stream.recv(), 10))))
                        assert last[-1] == ("remove.instance", a), last
                        assert (stream.close_code, stream.close_reason) == (4410, "instance removed")
                    # socket.io clients of `a` on the other node are disconnected too (socket.io's
                    # Redis manager knows only each node's own clients; the /ws relay's end does it).
                    await asyncio.wait_for(a_socketio_elsewhere.disconnected.wait(), 10)
                    await _send_text(client, base[1], b, tokens[b], "still here")
                    assert _event_of((await _frames(b_elsewhere, 1))[0]) == ("send.message", b)
            for node in cluster.nodes:
                assert "/ws events not sent" not in node.log_path.read_text()
        finally:
            cluster.stop()
