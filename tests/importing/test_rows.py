"""Row shaping: upstream values (MySQL's 0/1 and JSON text, a DATE, ISO text, aware times) as our types,
and Message's indexed key fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from evolution_py.importing.destination import Destination
from evolution_py.importing.evolution_api import chatwoot_ledger, message_row
from evolution_py.importing.evolution_go import event_keys, owner_of, rows_for
from evolution_py.store.db import Database


async def test_values_take_our_column_types(tmp_path: object) -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        dest = Destination(db)
        shaped = dest.shape(
            "Message",
            {
                "id": "m1",
                "key": '{"id": "K"}',
                "fromMe": 1,
                "chatwootIsRead": 0,
                "messageTimestamp": "17",
                "unknownColumn": "dropped",
            },
        )
        assert shaped == {
            "id": "m1",
            "key": {"id": "K"},
            "fromMe": True,
            "chatwootIsRead": False,
            "messageTimestamp": 17,
        }
        media = dest.shape("Media", {"createdAt": date(2025, 1, 2)})
        assert media["createdAt"] == datetime(2025, 1, 2)
        brazil = timezone(timedelta(hours=-3))
        setting = dest.shape(
            "Setting", {"createdAt": datetime(2025, 1, 2, 9, tzinfo=brazil), "updatedAt": "2025-01-02T12:00:00Z"}
        )
        assert setting == {"createdAt": datetime(2025, 1, 2, 12), "updatedAt": datetime(2025, 1, 2, 12)}
    finally:
        await db.dispose()


def test_message_key_fields_and_chatwoot_ledger() -> None:
    row = message_row(
        {
            "id": "m1",
            "instanceId": "i",
            "participant": None,
            "chatwootMessageId": 5,
            "key": {"id": "3EB0", "remoteJid": "123@g.us", "fromMe": False, "participant": "9@s.whatsapp.net"},
        }
    )
    assert (row["keyId"], row["remoteJid"], row["fromMe"], row["participant"]) == (
        "3EB0",
        "123@g.us",
        False,
        "9@s.whatsapp.net",
    )
    table, ledger = chatwoot_ledger([row, {**row, "id": "m2", "chatwootMessageId": None}])
    assert table == "ChatwootMirror" and len(ledger) == 1
    assert ledger[0]["waMessageId"] == "3EB0" and ledger[0]["state"] == "sent"
    assert chatwoot_ledger([row])[1][0]["id"] == ledger[0]["id"]  # stable: a rerun finds it


def test_go_mapping() -> None:
    assert owner_of("5511911110001:3@s.whatsapp.net") == ("5511911110001@s.whatsapp.net", "5511911110001")
    assert owner_of("") == (None, None)
    assert event_keys("") == ([], None)
    keys, problem = event_keys("MESSAGE,NOPE")
    assert keys == ["MESSAGES_UPSERT"] and problem is not None and "NOPE" in problem
    rows, _ = rows_for(
        {
            "id": "u1",
            "name": "n",
            "token": "t",
            "jid": "",
            "webhook": "",
            "events": "",
            "proxy": "null",
            "created_at": datetime(2025, 1, 1, tzinfo=UTC),
            "nats_enable": "disabled",
        }
    )
    assert sorted(rows) == ["Instance", "Setting"]


async def test_text_is_made_safe_for_every_database() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        shaped = Destination(db).shape(
            "Message",
            {"id": "m\x002", "pushName": "a\x00b\ud800c", "message": '{"conversation": "x\\u0000y"}'},
        )
        assert shaped == {"id": "m2", "pushName": "ab\ufffdc", "message": {"conversation": "xy"}}
    finally:
        await db.dispose()
