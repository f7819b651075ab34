"""OpenAI end to end against a fake OpenAI-compatible server (OPENAI_BASE_URL): credentials per
instance, getModels, chat completions with the bot's messages and the session's history, an
assistant run with a function call answered by the bot's functionUrl, Whisper for audio."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.conftest import ServerFactory
from tests.integrations.chatbots.conversation import PEER, Conversation
from tests.integrations.chatbots.fakes import Call, FakeServer, fake_server

QUIET = {"delayMessage": 0, "debounceTime": 0, "timePerChar": 0, "triggerType": "all"}


def _env(fake: FakeServer) -> dict[str, str]:
    return {"OPENAI_ENABLED": "true", "OPENAI_BASE_URL": f"{fake.url}/v1"}


async def _creds(conv: Conversation, key: str = "sk-test-1") -> str:
    created = await conv.post("/openai/creds", {"name": f"main-{key}", "apiKey": key})
    assert set(created) >= {"id", "name", "apiKey", "instanceId"}
    return str(created["id"])


async def test_creds_models_and_chat_completion(server_factory: ServerFactory) -> None:
    async with fake_server() as openai:
        openai.on("/v1/models", lambda call: {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

        def complete(call: Call) -> dict[str, Any]:
            last = call.json["messages"][-1]["content"][0]["text"]
            return {"choices": [{"message": {"role": "assistant", "content": f"gpt: {last}"}}]}

        openai.on("/v1/chat/completions", complete)
        async with server_factory(**_env(openai)) as srv:
            conv = await Conversation.start(srv)
            creds = await _creds(conv)
            again = await srv.client.post(
                f"/openai/creds/{conv.name}", json={"name": "other", "apiKey": "sk-test-1"}, headers=conv.headers
            )
            assert again.status_code == 400
            bot = await conv.post("/openai/create", {
                "enabled": True, "openaiCredsId": creds, "botType": "chatCompletion", "model": "gpt-4o-mini",
                "maxTokens": 300, "systemMessages": ["You are terse."], **QUIET,
            })  # fmt: skip
            listed = await conv.get("/openai/creds")
            assert [b["id"] for b in listed[0]["OpenaiAssistant"]] == [bot["id"]]
            # The create made the settings row with the bot's credentials: getModels uses them.
            assert await conv.get("/openai/getModels") == [{"id": "gpt-4o-mini", "object": "model"}]

            await conv.inbound("first")
            await conv.wait_texts(1)
            await conv.inbound("second")
            assert sorted(await conv.wait_texts(2)) == ["gpt: first", "gpt: second"]
            first, second = openai.to("/v1/chat/completions")
            assert first.headers["Authorization"] == "Bearer sk-test-1"
            assert first.json["model"] == "gpt-4o-mini" and first.json["max_tokens"] == 300
            assert first.json["messages"][0] == {"role": "system", "content": "You are terse."}
            # The second request carries the first exchange as history.
            roles = [m["role"] for m in second.json["messages"]]
            assert roles == ["system", "user", "assistant", "user"]
            assert second.json["messages"][2]["content"] == "gpt: first"

            other = await Conversation.start(srv)  # another tenant cannot use these credentials
            refused = await srv.client.post(f"/openai/create/{other.name}", headers=other.headers, json={
                "enabled": True, "openaiCredsId": creds, "botType": "chatCompletion", "model": "m", "maxTokens": 1,
                **QUIET,
            })  # fmt: skip
            assert refused.status_code == 500


async def test_assistant_with_a_function_call(server_factory: ServerFactory) -> None:
    async with fake_server() as openai, fake_server() as functions:
        runs: list[str] = []
        openai.on("/v1/threads", lambda call: {"id": "thread_1"})
        openai.on("/v1/threads/thread_1/runs", lambda call: {"id": "run_1", "status": "queued"})

        def messages(call: Call) -> dict[str, Any]:
            if call.method == "POST":
                return {"id": "msg_1"}
            return {"data": [{"role": "assistant", "content": [{"type": "text", "text": {"value": "It is sunny"}}]}]}

        def retrieve(call: Call) -> dict[str, Any]:
            runs.append("retrieve")
            if len(runs) < 3:
                action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "weather", "arguments": '{"city": "Lisbon"}'}},
                ]}}  # fmt: skip
                return {"id": "run_1", "status": "requires_action", "required_action": action}
            return {"id": "run_1", "status": "completed"}

        openai.on("/v1/threads/thread_1/messages", messages)
        openai.on("/v1/threads/thread_1/runs/run_1", retrieve)
        openai.on("/v1/threads/thread_1/runs/run_1/submit_tool_outputs", lambda call: {"id": "run_1"})
        functions.on("/fn", lambda call: {"temperature": 24})
        async with server_factory(**_env(openai)) as srv:
            conv = await Conversation.start(srv)
            creds = await _creds(conv, "sk-assistant")
            await conv.post("/openai/create", {
                "enabled": True, "openaiCredsId": creds, "botType": "assistant", "assistantId": "asst_1",
                "functionUrl": f"{functions.url}/fn", **QUIET,
            })  # fmt: skip
            await conv.inbound("weather?")
            assert await conv.wait_texts(1, within=20) == ["It is sunny"]
        assert openai.to("/v1/threads/thread_1/runs")[0].json == {"assistant_id": "asst_1"}
        assert openai.to("/v1/threads/thread_1/runs")[0].headers["OpenAI-Beta"] == "assistants=v2"
        called = functions.to("/fn")[0].json
        assert called == {"functionName": "weather",
                          "functionArguments": {"city": "Lisbon", "remoteJid": PEER, "pushName": "Ana"}}  # fmt: skip
        outputs = openai.to("/v1/threads/thread_1/runs/run_1/submit_tool_outputs")[0].json["tool_outputs"]
        assert outputs == [{"tool_call_id": "call_1", "output": '{"temperature": 24}'}]


async def test_audio_is_transcribed_by_whisper(server_factory: ServerFactory) -> None:
    async with fake_server() as openai:
        openai.on("/media/voice.ogg", lambda call: web.Response(body=b"OggS-fake-audio", content_type="audio/ogg"))
        openai.on("/v1/audio/transcriptions", lambda call: {"text": "book a table"})

        def complete(call: Call) -> dict[str, Any]:
            heard = call.json["messages"][-1]["content"][0]["text"]
            return {"choices": [{"message": {"content": f"heard: {heard}"}}]}

        openai.on("/v1/chat/completions", complete)
        async with server_factory(**_env(openai)) as srv:
            conv = await Conversation.start(srv)
            creds = await _creds(conv, "sk-audio")
            await conv.post("/openai/create", {
                "enabled": True, "openaiCredsId": creds, "botType": "chatCompletion", "model": "m", "maxTokens": 50,
                **QUIET,
            })  # fmt: skip
            await conv.inbound(
                "", audioMessage={"mimetype": "audio/ogg; codecs=opus"}, mediaUrl=f"{openai.url}/media/voice.ogg"
            )
            assert await conv.wait_texts(1) == ["heard: book a table"]
        upload = openai.to("/v1/audio/transcriptions")[0]
        assert upload.headers["Authorization"] == "Bearer sk-audio"
        assert "whisper-1" in str(upload.json) and "OggS-fake-audio" in str(upload.json)


async def test_speech_to_text_setting_transcribes_for_every_kind(server_factory: ServerFactory) -> None:
    async with fake_server() as openai, fake_server() as bot:
        openai.on("/media/voice.ogg", lambda call: web.Response(body=b"OggS-fake-audio", content_type="audio/ogg"))
        openai.on("/v1/audio/transcriptions", lambda call: {"text": "call me back"})
        bot.on("/bot", lambda call: {"message": f"bot: {call.json['query']}"})
        async with server_factory(**_env(openai)) as srv:
            conv = await Conversation.start(srv)
            creds = await _creds(conv, "sk-speech")
            await conv.post("/openai/settings", {
                "openaiCredsId": creds, "expire": 0, "keywordFinish": "bye", "delayMessage": 0, "unknownMessage": "?",
                "listeningFromMe": False, "stopBotFromMe": False, "keepOpen": False, "debounceTime": 0,
                "ignoreJids": [], "speechToText": True,
            })  # fmt: skip
            await conv.post("/evolutionBot/create", {"enabled": True, "apiUrl": f"{bot.url}/bot", **QUIET})
            await conv.inbound("", audioMessage={"seconds": 3}, mediaUrl=f"{openai.url}/media/voice.ogg")
            assert await conv.wait_texts(1) == ["bot: [audio] call me back"]
