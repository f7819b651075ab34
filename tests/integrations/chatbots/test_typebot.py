"""Typebot end to end against a fake speaking Typebot's API (startChat / continueChat and the old
sendMessage): prefilled variables with the instance's own token, rich text as WhatsApp formatting,
media bubbles, choice inputs, the session ending with the flow, `/typebot/start`, and the
`typebot.change-status` / `typebot.start` events on the instance's webhook."""

from __future__ import annotations

from typing import Any

from tests.conftest import ServerFactory
from tests.integrations.chatbots.conversation import PEER, Conversation
from tests.integrations.chatbots.fakes import Call, FakeServer, fake_server
from tests.support.server import TEST_API_KEY

QUIET = {"delayMessage": 0, "debounceTime": 0, "timePerChar": 0, "listeningFromMe": False, "stopBotFromMe": True}

WELCOME: dict[str, Any] = {
    "sessionId": "tb-session-1",
    "messages": [
        {
            "id": "b1",
            "type": "text",
            "content": {
                "richText": [
                    {"type": "p", "children": [{"text": "Hello ", "bold": False}, {"text": "Ana", "bold": True}]},
                    {"type": "p", "children": [{"text": "pick one", "italic": True}]},
                ]
            },
        },
        {"id": "b2", "type": "image", "content": {"url": "http://cdn.example/menu.png"}},
    ],
    "input": {"type": "choice input", "items": [{"content": "Pizza"}, {"content": "Salad"}]},
}
GOODBYE: dict[str, Any] = {
    "messages": [
        {"id": "b3", "type": "text", "content": {"richText": [{"type": "p", "children": [{"text": "Enjoy"}]}]}}
    ]
}


def _flow(fake: FakeServer, latest: bool) -> None:
    if latest:
        fake.on("/api/v1/typebots/my-flow/startChat", lambda call: WELCOME)
        fake.on("/api/v1/sessions/tb-session-1/continueChat", lambda call: GOODBYE)
    else:

        def send_message(call: Call) -> dict[str, Any]:
            return WELCOME if "startParams" in call.json else GOODBYE

        fake.on("/api/v1/sendMessage", send_message)


async def _webhook(conv: Conversation, hooks: FakeServer) -> None:
    hooks.on("/hook", lambda call: {})
    body = {
        "webhook": {"enabled": True, "url": f"{hooks.url}/hook", "events": ["TYPEBOT_CHANGE_STATUS", "TYPEBOT_START"]}
    }
    await conv.post("/webhook/set", body)


async def _conversation(srv: Any, fake: FakeServer, latest: bool) -> tuple[Conversation, list[Call]]:
    conv = await Conversation.start(srv)
    body = {"enabled": True, "url": fake.url, "typebot": "my-flow", "triggerType": "keyword",
            "triggerOperator": "equals", "triggerValue": "menu", **QUIET}  # fmt: skip
    bot = await conv.post("/typebot/create", body)
    await conv.inbound("menu")
    texts = await conv.wait_texts(3)  # (sent within one second: compared without their order)
    assert sorted(texts) == sorted(["Hello *Ana*\n_pick one_", "imageMessage", "▶️ Pizza\n▶️ Salad"])
    sessions = await conv.get(f"/typebot/fetchSessions/{bot['id']}")
    assert len(sessions) == 1 and sessions[0]["sessionId"].endswith("-tb-session-1")
    assert sessions[0]["parameters"]["apiKey"] == conv.token

    await conv.inbound("Pizza")
    assert "Enjoy" in await conv.wait_texts(4)
    # The flow ended (no input): the session is gone (keepOpen false).
    assert await conv.get(f"/typebot/fetchSessions/{bot['id']}") == []
    return conv, fake.calls


async def test_latest_api_start_and_continue(server_factory: ServerFactory) -> None:
    async with fake_server() as fake, fake_server() as hooks:
        _flow(fake, latest=True)
        async with server_factory(TYPEBOT_ENABLED="true", TYPEBOT_API_VERSION="latest") as srv:
            conv = await Conversation.start(srv)
            await _webhook(conv, hooks)
            conv, calls = await _conversation(srv, fake, latest=True)
        start = calls[0]
        assert start.path == "/api/v1/typebots/my-flow/startChat"
        variables = start.json["prefilledVariables"]
        assert variables["remoteJid"] == PEER and variables["instanceName"] == conv.name
        assert variables["apiKey"] == conv.token and variables["apiKey"] != TEST_API_KEY
        assert calls[1].path == "/api/v1/sessions/tb-session-1/continueChat"
        assert calls[1].json == {"message": "Pizza"}


async def test_old_api_send_message(server_factory: ServerFactory) -> None:
    async with fake_server() as fake:
        _flow(fake, latest=False)
        async with server_factory(TYPEBOT_ENABLED="true") as srv:
            _conv, calls = await _conversation(srv, fake, latest=False)
        assert calls[0].json["startParams"]["publicId"] == "my-flow"
        assert calls[1].json == {"message": "Pizza", "sessionId": "tb-session-1"}


async def test_change_status_events_and_typebot_start(server_factory: ServerFactory) -> None:
    async with fake_server() as fake, fake_server() as hooks:
        _flow(fake, latest=True)
        async with server_factory(TYPEBOT_ENABLED="true", TYPEBOT_API_VERSION="latest") as srv:
            conv = await Conversation.start(srv)
            await _webhook(conv, hooks)
            body = {"enabled": True, "url": fake.url, "typebot": "my-flow", "triggerType": "keyword",
                    "triggerOperator": "equals", "triggerValue": "menu", **QUIET}  # fmt: skip
            await conv.post("/typebot/create", body)
            await conv.inbound("menu")
            await conv.wait_texts(3)
            await conv.inbound("Pizza")
            await conv.wait_texts(4)
            events = await hooks.wait_calls("/hook", 2)
            statuses = [(e.json["event"], e.json["data"]["status"]) for e in events]
            assert statuses[:2] == [("typebot.change-status", "opened"), ("typebot.change-status", "delete")]

            other = "5511977776666@s.whatsapp.net"
            variables = [{"name": "plan", "value": "gold"}]
            start = {"remoteJid": other, "url": fake.url, "typebot": "my-flow", "variables": variables}
            started = await conv.post("/typebot/start", start)
            assert started == {
                "typebot": {
                    "instanceName": conv.name,
                    "typebot": {"url": fake.url, "remoteJid": other, "typebot": "my-flow",
                                "prefilledVariables": {"plan": "gold"}},
                }
            }  # fmt: skip
            assert "Hello *Ana*\n_pick one_" in await conv.wait_texts(3, peer=other)
            assert fake.calls[-1].json == {"prefilledVariables": {"plan": "gold"}}
            events = await hooks.wait_calls("/hook", 3)
            assert events[-1].json["event"] == "typebot.start"
            assert events[-1].json["data"]["remoteJid"] == other


async def test_typebot_start_with_a_session(server_factory: ServerFactory) -> None:
    async with fake_server() as fake:
        _flow(fake, latest=True)
        async with server_factory(TYPEBOT_ENABLED="true", TYPEBOT_API_VERSION="latest") as srv:
            conv = await Conversation.start(srv)
            start = {"remoteJid": PEER, "url": fake.url, "typebot": "my-flow", "startSession": True,
                     "variables": [{"name": "plan", "value": "gold"}]}  # fmt: skip
            started = await conv.post("/typebot/start", start)
            assert started["typebot"]["typebot"]["prefilledVariables"] == {"plan": "gold"}
            assert "Hello *Ana*\n_pick one_" in await conv.wait_texts(3)
            variables = fake.to("/api/v1/typebots/my-flow/startChat")[0].json["prefilledVariables"]
            assert variables["plan"] == "gold" and variables["apiKey"] == conv.token
            bots = await conv.get("/typebot/find")
            assert [(b["url"], b["typebot"]) for b in bots] == [(fake.url, "my-flow")]
            sessions = await conv.get(f"/typebot/fetchSessions/{bots[0]['id']}")
            assert sessions[0]["status"] == "opened" and sessions[0]["parameters"]["plan"] == "gold"
            # The contact's answer continues the started flow (no trigger needed).
            await conv.inbound("Pizza")
            assert "Enjoy" in await conv.wait_texts(4)
