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


async def test_upserts_of_one_transaction_keep_each_rows_order(server: RunningServer) -> None:
    """Contact and chat upserts handed to the writer together (one transaction, statements of
    several texts: with and without a name, with an unread delta): each row's upserts apply in the
    order given, each row is created once, and `created` is true for its first upsert only."""
    name = unique()
    await server.create_instance(name)
    store = server.services.registry.require(name).store
    jids = [f"55119{i:08d}@s.whatsapp.net" for i in range(3)]
    await store.upsert_chat(jids[0], name="Before", unread_delta=2)  # one row exists already
    calls: list[Any] = []
    for jid in jids:
        calls += [
            store.upsert_contact(jid, push_name="A"),
            store.upsert_contact(jid),
            store.upsert_contact(jid, push_name="B", profile_pic_url="https://pps.example/b.jpg"),
            store.upsert_chat(jid, unread_delta=1),
            store.upsert_chat(jid, name="N1", unread_delta=1),
            store.upsert_chat(jid, unread_delta=-9),
            store.upsert_chat(jid, unread_delta=1),
        ]
    results = await asyncio.gather(*calls)
    created = [flag for _fields, flag in results]
    for i, jid in enumerate(jids):
        contact_flags, chat_flags = created[7 * i : 7 * i + 3], created[7 * i + 3 : 7 * i + 7]
        assert contact_flags == [True, False, False], jid
        assert chat_flags == ([False] * 4 if i == 0 else [True, False, False, False]), jid
        chat = await store.find_chat(jid)
        assert chat is not None and (chat["name"], chat["unreadMessages"]) == ("N1", 1), jid
        contacts = await store.find_contacts({"remoteJid": jid}, None, None)
        assert [(c["pushName"], c["profilePicUrl"]) for c in contacts] == [("B", "https://pps.example/b.jpg")]
    known, row = await store.known_chat(jids[1]), await store.find_chat(jids[1])
    assert known is not None and row is not None and known == (row["id"], "N1")  # the created row's id
