"""Chatwoot away: messages wait durably, in order, also across a server restart, and each arrives once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env

PEER = "5511955554444@s.whatsapp.net"


async def test_outage_and_restart_deliver_in_order_and_once(
    tmp_path: Path, db_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with database_env(db_kind, tmp_path) as db_env, chatwoot_fake() as fake:
        async with chatwoot_server(tmp_path, db_env, fake) as cw:
            name, number = cw.name, cw.number
            await cw.configure()
            await cw.inbound(PEER, {"conversation": "before"}, "O-0", pushName="Ana")
            await until(lambda: fake.with_source("WAID:O-0"))

            fake.down = True
            with caplog.at_level(logging.WARNING, logger="evolution_py.chatwoot"):
                for i in range(1, 4):
                    await cw.inbound(PEER, {"conversation": f"during {i}"}, f"O-{i}", pushName="Ana")
                await until(lambda: "answered 503" in caplog.text)
            # an error answer is logged with what was sent, never the token
            assert "during 1" in caplog.text and fake.token not in caplog.text
            await asyncio.sleep(0.5)
            assert not any(fake.with_source(f"WAID:O-{i}") for i in range(1, 4))

        # the server restarts while Chatwoot is still away; Chatwoot comes back afterwards
        async with chatwoot_server(tmp_path, db_env, fake, name=name, number=number) as cw:
            await asyncio.sleep(0.3)
            fake.down = False
            await until(lambda: all(fake.with_source(f"WAID:O-{i}") for i in range(1, 4)), within=20)
            conversation = fake.with_source("WAID:O-0")[0]["conversation_id"]
            contents = [m["content"] for m in fake.of(conversation)]
            assert contents == ["before", "during 1", "during 2", "during 3"]
            # WhatsApp delivering the first message again after the restart changes nothing
            await cw.inbound(PEER, {"conversation": "before"}, "O-0", pushName="Ana")
            await cw.inbound(PEER, {"conversation": "after"}, "O-4", pushName="Ana")
            await until(lambda: fake.with_source("WAID:O-4"))
            assert [m["content"] for m in fake.of(conversation)] == [*contents, "after"]
            assert len(fake.contact_by_identifier(PEER)) == 1


async def test_a_send_that_died_midway_is_not_sent_twice(tmp_path: Path) -> None:
    """Chatwoot stored the message but its answer never came back: the retry finds it by source_id."""
    async with (
        database_env("sqlite", tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake, env={"CHATWOOT_REQUEST_TIMEOUT_MS": "700"}) as cw,
    ):
        await cw.configure()
        await cw.inbound(PEER, {"conversation": "warm-up"}, "D-0", pushName="Ana")
        await until(lambda: fake.with_source("WAID:D-0"))
        fake.slow_messages = 1.5  # the next message is stored, then the answer is late: our time limit ends first
        await cw.inbound(PEER, {"conversation": "slow one"}, "D-1", pushName="Ana")
        await until(lambda: fake.with_source("WAID:D-1"))
        fake.slow_messages = 0
        await cw.inbound(PEER, {"conversation": "next"}, "D-2", pushName="Ana")
        await until(lambda: fake.with_source("WAID:D-2"))
        await asyncio.sleep(0.5)
        assert len(fake.with_source("WAID:D-1")) == 1
