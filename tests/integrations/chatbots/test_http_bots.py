"""n8n, Flowise, Dify (chatBot, textGenerator, agent, workflow) and EvoAI end to end against fakes
speaking each service's API: what we send (paths, auth, fields, the instance's own token, the
conversation id kept from the first answer) and their answers sent back through the channel."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from tests.conftest import ServerFactory
from tests.integrations.chatbots.conversation import PEER, Conversation
from tests.integrations.chatbots.fakes import Call, fake_server

QUIET = {"delayMessage": 0, "debounceTime": 0, "timePerChar": 0, "triggerType": "all"}
ON = {f"{k}_ENABLED": "true" for k in ("N8N", "FLOWISE", "DIFY", "EVOAI")}


async def _talk(conv: Conversation, *texts: str) -> list[str]:
    for count, text in enumerate(texts, start=1):
        await conv.inbound(text)
        await conv.wait_texts(count)
    return await conv.texts()


async def test_n8n_webhook_with_basic_auth(server_factory: ServerFactory) -> None:
    async with fake_server() as n8n, server_factory(**ON) as srv:
        n8n.on("/webhook/chat", lambda call: {"output": f"n8n: {call.json['chatInput']}"})
        conv = await Conversation.start(srv)
        await conv.post("/n8n/create", {"enabled": True, "webhookUrl": f"{n8n.url}/webhook/chat",
                                        "basicAuthUser": "u", "basicAuthPass": "p", **QUIET})  # fmt: skip
        assert sorted(await _talk(conv, "hi", "more")) == ["n8n: hi", "n8n: more"]
        call = n8n.to("/webhook/chat")[0]
        assert call.headers["Authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
        assert call.json["sessionId"] == PEER and call.json["apiKey"] == conv.token
        assert call.json["instanceName"] == conv.name and call.json["keyId"].startswith("IN-")


async def test_flowise_prediction(server_factory: ServerFactory) -> None:
    async with fake_server() as flowise, server_factory(**ON) as srv:
        flowise.on("/api/v1/prediction/flow-1", lambda call: {"text": f"flowise: {call.json['question']}"})
        conv = await Conversation.start(srv)
        await conv.post("/flowise/create", {"enabled": True, "apiUrl": f"{flowise.url}/api/v1/prediction/flow-1",
                                            "apiKey": "fw-key", **QUIET})  # fmt: skip
        assert await _talk(conv, "hello") == ["flowise: hello"]
        call = flowise.to("/api/v1/prediction/flow-1")[0]
        assert call.headers["Authorization"] == "Bearer fw-key"
        assert call.json["overrideConfig"]["sessionId"] == PEER
        assert call.json["overrideConfig"]["vars"]["apiKey"] == conv.token


async def test_dify_chat_bot_keeps_its_conversation(server_factory: ServerFactory) -> None:
    async with fake_server() as dify, server_factory(**ON) as srv:
        dify.on("/v1/chat-messages", lambda call: {"answer": f"dify: {call.json['query']}", "conversation_id": "c-1"})
        conv = await Conversation.start(srv)
        await conv.post("/dify/create", {"enabled": True, "botType": "chatBot", "apiUrl": f"{dify.url}/v1",
                                         "apiKey": "app-key", **QUIET})  # fmt: skip
        assert sorted(await _talk(conv, "one", "two")) == ["dify: one", "dify: two"]
        first, second = dify.to("/v1/chat-messages")
        assert first.headers["Authorization"] == "Bearer app-key"
        assert "conversation_id" not in first.json and second.json["conversation_id"] == "c-1"
        assert first.json["response_mode"] == "blocking" and first.json["inputs"]["apiKey"] == conv.token


async def test_dify_text_generator_agent_and_workflow(server_factory: ServerFactory) -> None:
    def stream(call: Call) -> web.Response:
        events = [
            {"event": "agent_message", "answer": "age", "conversation_id": "c-9"},
            {"event": "agent_thought"},
            {"event": "agent_message", "answer": "nt", "conversation_id": "c-9"},
        ]
        body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
        return web.Response(text=body, content_type="text/event-stream")

    answers: dict[str, Any] = {
        "/v1/completion-messages": lambda call: {"answer": f"gen: {call.json['inputs']['query']}"},
        "/v1/chat-messages": stream,
        "/v1/workflows/run": lambda call: {"data": {"outputs": {"text": f"flow: {call.json['inputs']['query']}"}}},
    }
    for bot_type, path, expected in (
        ("textGenerator", "/v1/completion-messages", "gen: hi"),
        ("agent", "/v1/chat-messages", "agent"),
        ("workflow", "/v1/workflows/run", "flow: hi"),
    ):
        async with fake_server() as dify, server_factory(**ON) as srv:
            dify.on(path, answers[path])
            conv = await Conversation.start(srv)
            await conv.post("/dify/create", {"enabled": True, "botType": bot_type, "apiUrl": f"{dify.url}/v1",
                                             "apiKey": "k", **QUIET})  # fmt: skip
            assert await _talk(conv, "hi") == [expected], bot_type
            if bot_type == "agent":
                assert dify.to(path)[0].json["response_mode"] == "streaming"


async def test_evoai_json_rpc(server_factory: ServerFactory) -> None:
    def agent(call: Call) -> dict[str, Any]:
        text = call.json["params"]["message"]["parts"][0]["text"]
        return {"jsonrpc": "2.0", "id": call.json["id"],
                "result": {"artifacts": [{"parts": [{"type": "text", "text": f"evo: {text}"}]}]}}  # fmt: skip

    async with fake_server() as evoai, server_factory(**ON) as srv:
        evoai.on("/agent", agent)
        conv = await Conversation.start(srv)
        await conv.post("/evoai/create", {"enabled": True, "agentUrl": f"{evoai.url}/agent", "apiKey": "evo-key",
                                          **QUIET})  # fmt: skip
        assert await _talk(conv, "hey") == ["evo: hey"]
        call = evoai.to("/agent")[0]
        assert call.headers["x-api-key"] == "evo-key" and call.json["method"] == "message/send"
        assert call.json["params"]["contextId"] == PEER
        assert call.json["params"]["metadata"]["apiKey"] == conv.token


async def test_a_bot_answer_is_made_safe_before_it_is_stored(server_factory: ServerFactory) -> None:
    async with fake_server() as dify, server_factory(**ON) as srv:
        dify.on("/v1/chat-messages", lambda call: {"answer": "hi\x00 there", "conversation_id": "c" * 1000})
        conv = await Conversation.start(srv)
        bot = await conv.post("/dify/create", {"enabled": True, "botType": "chatBot", "apiUrl": f"{dify.url}/v1",
                                               "apiKey": "k", **QUIET})  # fmt: skip
        await conv.inbound("hello")
        assert await conv.wait_texts(1) == ["hi there"]
        sessions = await conv.get(f"/dify/fetchSessions/{bot['id']}")
        assert sessions[0]["sessionId"] == "c" * 255
