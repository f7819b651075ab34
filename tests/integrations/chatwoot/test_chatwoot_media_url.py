"""Media given by URL is fetched through the guarded client and attached; a Chatwoot template message
goes out as text; a refused request (4xx) dead-letters the event instead of retrying forever."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evolution_py.events import names
from tests.integrations.chatwoot.support import chatwoot_fake, chatwoot_server, until
from tests.support.databases import database_env

PEER = "5511922221111@s.whatsapp.net"


async def test_media_url_template_and_refusal(tmp_path: Path) -> None:
    async with (
        database_env("sqlite", tmp_path) as db_env,
        chatwoot_fake() as fake,
        chatwoot_server(tmp_path, db_env, fake) as cw,
    ):
        await cw.configure()
        await cw.inbound(
            PEER,
            {"documentMessage": {"fileName": "terms.pdf", "mimetype": "application/pdf"},
             "mediaUrl": f"{fake.url}/files/terms.pdf"},
            "U-1",
            pushName="Ivo",
        )  # fmt: skip
        doc = (await until(lambda: fake.with_source("WAID:U-1")))[0]
        assert doc["attachments"] == [{"file_type": "application", "file_name": "terms.pdf", "size": 16}]

        # a reaction is its emoji replying to the message; a removed reaction and an empty message show nothing
        reaction = {"reactionMessage": {"key": {"id": "U-1", "remoteJid": PEER, "fromMe": False}, "text": "👍"}}
        await cw.inbound(PEER, reaction, "R-1", pushName="Ivo")
        liked = (await until(lambda: fake.with_source("WAID:R-1")))[0]
        assert liked["content"] == "👍" and liked["content_attributes"] == {"in_reply_to": doc["id"]}
        removed = {"reactionMessage": {"key": {"id": "U-1", "remoteJid": PEER, "fromMe": False}, "text": ""}}
        await cw.inbound(PEER, removed, "R-2", pushName="Ivo")
        await cw.inbound(PEER, {"messageContextInfo": {}}, "R-3", pushName="Ivo")

        conversation = doc["conversation_id"]
        template = fake._add(
            fake.conversations[conversation], content="Your order\\\nshipped", message_type="template",
            private=False, source_id=None, content_attributes={}, attachments=[],
        )  # fmt: skip
        fake._notify("message_created", template)
        sent = (await cw.recording.wait_for(names.SEND_MESSAGE, cw.name))[0]
        assert sent["message"]["conversation"] == "Your order\nshipped"

        # Chatwoot refuses (the contact's conversation can no longer take messages): not retried forever
        fake.refuse_messages = True
        await cw.inbound(PEER, {"conversation": "refused"}, "U-2", pushName="Ivo")
        dead = await until(lambda: [r for r in fake.refused if "refused by the test" in r])
        assert dead
        for _ in range(100):
            answer = await cw.srv.client.get(f"/events/dead/{cw.name}", headers=cw.srv.headers())
            assert answer.status_code == 200, answer.text
            if answer.json()["records"]:
                break
            await asyncio.sleep(0.1)
        record = answer.json()["records"][0]
        assert record["sink"] == "integration:chatwoot", record
        assert len([r for r in fake.refused if "refused by the test" in r]) == 1  # tried once, not forever
        assert not fake.with_source("WAID:R-2") and not fake.with_source("WAID:R-3")
