"""MessageStore.known_chat: the inbound path's chat lookup answered from memory once a chat was
seen, and kept right by the store's own writes (created, renamed, cleared), on every database."""

from __future__ import annotations

from evolution_py.store.messages import KNOWN_CHATS, MessageStore
from tests.support.server import RunningServer, unique

JID = "5511977776666@s.whatsapp.net"


async def test_known_chat_follows_the_stores_writes(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)
    store = server.services.registry.require(name).store
    assert await store.known_chat(JID) is None  # read, remembered as absent

    _fields, created = await store.upsert_chat(JID, name="Ana", unread_delta=1)
    assert created
    known = await store.known_chat(JID)
    assert known is not None and known[1] == "Ana"
    row = await store.find_chat(JID)
    assert row is not None and (row["id"], row["name"]) == known  # the id the writer gave the row

    await store.upsert_chat(JID, name="Ana Maria")
    assert await store.known_chat(JID) == (known[0], "Ana Maria")
    await store.upsert_chat(JID, unread_delta=1)  # no name: the remembered one stays
    assert await store.known_chat(JID) == (known[0], "Ana Maria")

    # another store of the same instance (a restarted runtime) reads the row, not memory
    other = MessageStore(store.db, store.instance_id)
    assert await other.known_chat(JID) == (known[0], "Ana Maria")
    # a store that remembered "absent" learns the row exists when its upsert updates it
    late = MessageStore(store.db, store.instance_id)
    late._chats[JID] = ("", None)
    _fields, created = await late.upsert_chat(JID, unread_delta=1)
    assert not created and await late.known_chat(JID) == (known[0], "Ana Maria")

    await store.clear()
    assert await store.known_chat(JID) is None


async def test_known_chats_are_bounded(server: RunningServer) -> None:
    name = unique()
    await server.create_instance(name)
    store = server.services.registry.require(name).store
    for i in range(KNOWN_CHATS + 10):
        store._remember_chat(f"55{i}@s.whatsapp.net", ("", None))
    assert len(store._chats) == KNOWN_CHATS
    assert "550@s.whatsapp.net" not in store._chats  # the least recently used went first
