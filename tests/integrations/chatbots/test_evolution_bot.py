"""The engine end to end with EvolutionBot's protocol, on both databases: an inbound message on the
EVOLUTION channel, the bot server (a local fake) asked as upstream asks it, its answer sent through
MessagingService (stored as ours). Triggers, fallback, keywordFinish, stopBotFromMe, expire,
debounce, a restart mid-session and no double answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from evolution_py.integrations.chatbots.models import ChatbotTurn, IntegrationSession
from evolution_py.integrations.chatbots.sessions import SessionStore
from evolution_py.store.models import utcnow
from tests.conftest import ServerFactory
from tests.integrations.chatbots.conversation import PEER, Conversation
from tests.integrations.chatbots.fakes import Call, FakeServer, fake_server
from tests.support.server import TEST_API_KEY

QUIET = {"delayMessage": 0, "debounceTime": 0, "timePerChar": 0, "listeningFromMe": False, "stopBotFromMe": True}


def echo(call: Call) -> dict[str, Any]:
    return {"message": f"bot: {call.json['query']}"}


async def _bot(conv: Conversation, bot: FakeServer, **fields: Any) -> dict[str, Any]:
    body = {"enabled": True, "apiUrl": f"{bot.url}/bot", "apiKey": "bot-secret", **QUIET, **fields}
    return await conv.post("/evolutionBot/create", body)  # type: ignore[no-any-return]


async def test_keyword_trigger_answers_once_with_upstreams_payload(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        row = await _bot(conv, bot, triggerType="keyword", triggerOperator="startsWith", triggerValue="order")

        await conv.inbound("hello there")  # no trigger, no fallback: silence
        first = await conv.inbound("order pizza")
        assert await conv.wait_texts(1) == ["bot: order pizza"]
        call = bot.to("/bot")[0]
        assert call.headers["Authorization"] == "Bearer bot-secret"
        inputs = call.json["inputs"]
        assert inputs["remoteJid"] == PEER and inputs["instanceName"] == conv.name and inputs["pushName"] == "Ana"
        assert inputs["apiKey"] == conv.token and inputs["apiKey"] != TEST_API_KEY  # the instance's own token
        assert inputs["serverUrl"] == srv.base_url and call.json["user"] == PEER
        assert "conversation_id" not in call.json

        # The session is open: the next message goes to the same bot without its trigger.
        await conv.inbound("with cheese")
        assert sorted(await conv.wait_texts(2)) == ["bot: order pizza", "bot: with cheese"]
        assert bot.to("/bot")[1].json["inputs"]["sessionId"] == inputs["sessionId"]

        # A redelivered message (same id) is not answered twice.
        await conv.inbound("order pizza", message_id=first)
        await asyncio.sleep(1.0)
        assert len(bot.to("/bot")) == 2 and len(await conv.texts()) == 2

        sessions = await conv.get(f"/evolutionBot/fetchSessions/{row['id']}")
        assert [(s["remoteJid"], s["status"], s["awaitUser"], s["type"]) for s in sessions] == [
            (PEER, "opened", True, "evolution")
        ]


async def test_fallback_keyword_finish_and_stop_bot_from_me(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="keyword", triggerOperator="equals", triggerValue="menu")
        fallback = await _bot(conv, bot, triggerType="keyword", triggerOperator="equals", triggerValue="zzz",
                              apiKey="fallback-key")  # fmt: skip
        settings = {**QUIET, "expire": 0, "keywordFinish": "bye", "unknownMessage": "?", "keepOpen": False,
                    "ignoreJids": [], "splitMessages": False, "fallbackId": fallback["id"]}  # fmt: skip
        await conv.post("/evolutionBot/settings", settings)

        await conv.inbound("anything")  # no trigger: the fallback bot answers
        assert await conv.wait_texts(1) == ["bot: anything"]
        assert bot.to("/bot")[0].headers["Authorization"] == "Bearer fallback-key"

        await conv.inbound("BYE")  # keywordFinish (any case) ends the session: nothing asked, nothing said
        await asyncio.sleep(0.8)
        assert len(bot.to("/bot")) == 1
        assert await conv.get(f"/evolutionBot/fetchSessions/{fallback['id']}") == []

        await conv.inbound("again")  # a new session with the fallback
        await bot.wait_calls("/bot", 2)
        await conv.inbound("manual reply", from_me=True)  # the operator answered: stopBotFromMe pauses
        await asyncio.sleep(0.8)
        sessions = await conv.get(f"/evolutionBot/fetchSessions/{fallback['id']}")
        assert [s["status"] for s in sessions] == ["paused"]
        await conv.inbound("are you there?")
        await asyncio.sleep(0.8)
        assert len(bot.to("/bot")) == 2  # paused: the bot is not asked

        reopened = await conv.post("/evolutionBot/changeStatus", {"remoteJid": PEER, "status": "opened"})
        assert reopened["bot"]["bot"]["session"] == {"count": 1}
        await conv.inbound("back")
        await bot.wait_calls("/bot", 3)


async def test_debounce_joins_rapid_messages(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="all", debounceTime=1)
        for text in ("one", "two", "three"):
            await conv.inbound(text)
        assert await conv.wait_texts(1) == ["bot: one\ntwo\nthree"]
        await asyncio.sleep(1.5)
        assert len(bot.to("/bot")) == 1


async def test_expire_starts_a_new_session(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="all", expire=5)
        await conv.inbound("first")
        await conv.wait_texts(1)
        async with srv.services.db.transaction() as session:  # the session was last used 6 minutes ago
            await session.execute(
                update(IntegrationSession).values(updatedAt=utcnow().replace(microsecond=0) - _minutes(6))
            )
        await conv.inbound("later")
        calls = await bot.wait_calls("/bot", 2)
        assert calls[0].json["inputs"]["sessionId"] != calls[1].json["inputs"]["sessionId"]


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


async def test_a_restart_mid_session_keeps_the_conversation(server_factory: ServerFactory) -> None:
    async with fake_server() as bot:
        bot.on("/bot", echo)
        async with server_factory() as srv:
            conv = await Conversation.start(srv)
            await _bot(conv, bot, triggerType="keyword", triggerOperator="equals", triggerValue="start")
            await conv.inbound("start")
            await conv.wait_texts(1)
        async with server_factory() as srv:
            conv.srv = srv
            await conv.inbound("still there?")  # no trigger: only the stored session brings the bot
            calls = await bot.wait_calls("/bot", 2)
            assert calls[0].json["inputs"]["sessionId"] == calls[1].json["inputs"]["sessionId"]
            assert sorted(await conv.wait_texts(2)) == ["bot: start", "bot: still there?"]


async def test_a_failing_bot_server_is_logged_not_retried(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", lambda call: web.json_response({"error": "down"}, status=503))
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="all")
        await conv.inbound("hello")
        await bot.wait_calls("/bot", 1)
        await asyncio.sleep(1.0)
        assert len(bot.to("/bot")) == 1 and await conv.texts() == []


async def test_a_debounced_message_waiting_at_shutdown_is_answered_after_the_restart(
    server_factory: ServerFactory,
) -> None:
    async with fake_server() as bot:
        bot.on("/bot", echo)
        async with server_factory() as srv:
            conv = await Conversation.start(srv)
            await _bot(conv, bot, triggerType="all", debounceTime=30)
            await conv.inbound("are you open today?")
            for _ in range(100):  # until the engine took it and waits for the conversation to go quiet
                if await _turns(srv, "pending"):
                    break
                await asyncio.sleep(0.1)
        assert bot.calls == []
        async with server_factory() as srv:
            conv.srv = srv
            assert await conv.wait_texts(1) == ["bot: are you open today?"]
            assert await _turns(srv, "pending") == []


async def _turns(srv: Any, status: str) -> list[Any]:
    async with srv.services.db.session() as session:
        return list((await session.scalars(select(ChatbotTurn).where(ChatbotTurn.status == status))).all())


async def test_a_message_without_text_gets_the_unknown_message(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="all", unknownMessage="Sorry, text only")
        await conv.inbound("", stickerMessage={"url": "https://x/s.webp"})
        assert await conv.wait_texts(1) == ["Sorry, text only"]
        await conv.inbound("hello")
        assert sorted(await conv.wait_texts(2)) == ["Sorry, text only", "bot: hello"]
        assert len(bot.to("/bot")) == 1


async def test_finished_turns_are_forgotten_after_some_days(server_factory: ServerFactory) -> None:
    async with fake_server() as bot, server_factory() as srv:
        bot.on("/bot", echo)
        conv = await Conversation.start(srv)
        await _bot(conv, bot, triggerType="all")
        await conv.inbound("one")
        await conv.inbound("two")
        await conv.wait_texts(2)
        for _ in range(50):
            if len(await _turns(srv, "done")) == 2:
                break
            await asyncio.sleep(0.1)
        async with srv.services.db.transaction() as session:
            await session.execute(update(ChatbotTurn).where(ChatbotTurn.messageId.like("IN-%")).values(
                createdAt=utcnow() - timedelta(days=4)
            ).execution_options(synchronize_session=False))  # fmt: skip
            stored = (await session.scalars(select(ChatbotTurn))).all()
            await session.execute(update(ChatbotTurn).where(ChatbotTurn.id == stored[0].id).values(createdAt=utcnow()))
        store = SessionStore(srv.services.db)
        assert await store.prune_turns(timedelta(days=3)) == 1
        assert len(await _turns(srv, "done")) == 1
