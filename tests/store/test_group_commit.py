"""The hot path's group commit (store/messages.py → the outbox writer) on every database, through the
real server: concurrent inbound messages of one chat land in shared transactions, the contact is
created once, the chat's unread count is exact, every message is stored; concurrent sends likewise.
A message the database refuses fails only its own request."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support.server import RunningServer, unique

JID = "5511988887777@s.whatsapp.net"


async def inbound(srv: RunningServer, number: str, text: str) -> None:
    body = {
        "numberId": number,
        "key": {"remoteJid": JID, "fromMe": False, "id": uuid.uuid4().hex},
        "pushName": "Ana",
        "message": {"conversation": text},
    }
    answer = await srv.client.post("/webhook/evolution", json=body, headers=srv.headers())
    assert answer.status_code == 200, answer.text


async def test_concurrent_inbound_messages_of_one_chat(server: RunningServer) -> None:
    name, number = unique(), "55119" + str(uuid.uuid4().int)[:8]
    await server.create_instance(name, number=number)
    await asyncio.gather(*(inbound(server, number, f"m{i}") for i in range(30)))
    found = await server.client.post(f"/chat/findMessages/{name}", json={}, headers=server.headers())
    texts = sorted(r["message"]["conversation"] for r in found.json()["messages"]["records"])
    assert texts == sorted(f"m{i}" for i in range(30))
    contacts = await server.client.post(f"/chat/findContacts/{name}", json={}, headers=server.headers())
    assert [(c["remoteJid"], c["pushName"]) for c in contacts.json()] == [(JID, "Ana")]
    chats = (await server.client.post(f"/chat/findChats/{name}", json={}, headers=server.headers())).json()
    assert [(c["remoteJid"], c["unreadCount"]) for c in chats] == [(JID, 30)]


async def test_concurrent_sends_are_each_stored_once(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)

    async def send(i: int) -> Any:
        body = {"number": "5511999990000", "text": f"s{i}"}
        answer = await server.client.post(f"/message/sendText/{name}", json=body, headers=server.headers())
        assert answer.status_code == 201, answer.text
        return answer.json()["key"]["id"]

    keys = await asyncio.gather(*(send(i) for i in range(40)))
    found = await server.client.post(f"/chat/findMessages/{name}", json={"offset": 100}, headers=server.headers())
    assert sorted(r["key"]["id"] for r in found.json()["messages"]["records"]) == sorted(keys)
