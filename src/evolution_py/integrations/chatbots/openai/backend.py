"""OpenAI's bots (upstream's openai.service), with the bot's own credentials (OpenaiCreds):
- chatCompletion: POST /chat/completions {model, messages: system + assistant + user messages of the
  bot, the session's last 10 exchanges, the new message; max_tokens (500 when unset)}; the history is
  kept in the session's `context` as upstream writes it (`{"history": [...]}` as a JSON string);
- assistant: a thread per session (its id is the session's `sessionId`), the message added, a run
  polled each second for at most a minute; a `submit_tool_outputs` action calls the bot's
  `functionUrl` with {functionName, functionArguments + remoteJid, pushName} and hands the answer back;
- audio: transcribed by Whisper (POST /audio/transcriptions) before either."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, BotAnswer, Turn
from evolution_py.integrations.chatbots.models import OpenaiCreds
from evolution_py.integrations.chatbots.openai.client import OpenaiClient
from evolution_py.integrations.chatbots.openai.speech import transcribe_with
from evolution_py.integrations.chatbots.replies import text_replies
from evolution_py.outbound import OutboundError

HISTORY = 10
RUN_POLLS = 60
NO_TRANSCRIPTION = "Sorry, I couldn't transcribe your audio message. Could you please type your message instead?"


class OpenaiBackend:
    poll_seconds = 1.0

    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def client_for(self, creds_id: str | None) -> OpenaiClient:
        async with self.context.db.session() as session:
            creds = await session.get(OpenaiCreds, creds_id) if creds_id else None
        if creds is None or not creds.apiKey:
            raise BackendError(f"OpenAI credentials not found. CredsId: {creds_id}")
        return OpenaiClient(self.context.outbound, self.context.settings, creds.apiKey)

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        client = await self.client_for(bot.get("openaiCredsId"))
        content = turn.content
        if content.startswith("audioMessage|"):
            text = await self.transcribe(client, turn)
            if not text:
                return BotAnswer(replies=text_replies(NO_TRANSCRIPTION, turn.settings))
            content = text
        if bot.get("botType") == "assistant":
            return await self.assistant(client, turn, content)
        return await self.chat_completion(client, turn, content)

    async def transcribe(self, client: OpenaiClient, turn: Turn) -> str | None:
        return await transcribe_with(self.context, client, turn.message)

    @staticmethod
    def _user_message(turn: Turn, content: str) -> dict[str, Any]:
        data: dict[str, Any] = {"role": "user", "content": [{"type": "text", "text": content}]}
        if "imageMessage" in content:
            parts = content.split("|")
            message = turn.message.get("message") or {}
            url = message.get("base64") or message.get("mediaUrl") or (parts[1].split("?")[0] if len(parts) > 1 else "")
            text = parts[2] if len(parts) > 2 and parts[2] else content
            data["content"] = [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]
        return data

    async def chat_completion(self, client: OpenaiClient, turn: Turn, content: str) -> BotAnswer:
        bot = turn.bot
        if not bot.get("model"):
            raise BackendError("OpenAI model not defined")
        history = _history(turn.session.get("context"))
        current = self._user_message(turn, content)
        messages = [
            *({"role": "system", "content": m} for m in bot.get("systemMessages") or []),
            *({"role": "assistant", "content": m} for m in bot.get("assistantMessages") or []),
            *({"role": "user", "content": m} for m in bot.get("userMessages") or []),
            *history,
            current,
        ]
        body = {"model": bot["model"], "messages": messages, "max_tokens": bot.get("maxTokens") or 500}
        completion = await client.call("POST", "/chat/completions", body)
        try:
            reply = completion["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise BackendError("OpenAI's completion has no message") from None
        history = [*history, current, {"role": "assistant", "content": reply}][-HISTORY:]
        answer = BotAnswer(context=json.dumps({"history": history}))
        if isinstance(reply, str) and reply:
            answer.replies = text_replies(reply, turn.settings)
        return answer

    async def assistant(self, client: OpenaiClient, turn: Turn, content: str) -> BotAnswer:
        bot = turn.bot
        thread = str(turn.session.get("sessionId") or "")
        result = BotAnswer()
        if not thread or thread == turn.remote_jid:
            thread = str((await client.call("POST", "/threads", {}, beta=True)).get("id") or "")
            if not thread:
                raise BackendError("OpenAI created no thread")
            result.session_id = thread
        await client.call("POST", f"/threads/{thread}/messages", self._user_message(turn, content), beta=True)
        run = await client.call("POST", f"/threads/{thread}/runs", {"assistant_id": bot.get("assistantId")}, beta=True)
        run_id = str(run.get("id") or "")
        status = await client.call("GET", f"/threads/{thread}/runs/{run_id}", beta=True)
        polls = RUN_POLLS
        while status.get("status") not in ("completed", "failed", "cancelled", "expired") and polls > 0:
            await asyncio.sleep(self.poll_seconds)
            status = await client.call("GET", f"/threads/{thread}/runs/{run_id}", beta=True)
            action = status.get("required_action") or {}
            if status.get("status") == "requires_action" and action.get("type") == "submit_tool_outputs":
                outputs = [await self.tool_output(bot, call, turn) for call in _tool_calls(action)]
                await client.call(
                    "POST", f"/threads/{thread}/runs/{run_id}/submit_tool_outputs", {"tool_outputs": outputs}, beta=True
                )
            polls -= 1
        text = "Failed to get a response from the assistant."
        if status.get("status") == "completed":
            text = "I couldn't generate a proper response. Please try again."
            listed = (await client.call("GET", f"/threads/{thread}/messages", beta=True)).get("data") or []
            try:
                value = listed[0]["content"][0]["text"]["value"]
                text = str(value) if value else text
            except (KeyError, IndexError, TypeError):
                pass
        result.replies = text_replies(text, turn.settings)
        return result

    async def tool_output(self, bot: dict[str, Any], call: dict[str, Any], turn: Turn) -> dict[str, Any]:
        function = call.get("function") or {}
        if not bot.get("functionUrl"):
            return {"tool_call_id": call.get("id"), "output": json.dumps({"error": "No function URL configured"})}
        try:
            arguments = json.loads(function.get("arguments") or "{}")
            if not isinstance(arguments, dict):
                arguments = {}
            arguments.update(remoteJid=turn.remote_jid, pushName=turn.push_name)
            answer = await self.context.outbound.request(
                "POST",
                str(bot["functionUrl"]),
                json={"functionName": function.get("name"), "functionArguments": arguments},
                time_limit=60,
            )
            if not answer.ok:
                raise BackendError(answer.failure())
            output = json.dumps(answer.json())
        except (OutboundError, BackendError, ValueError):
            output = json.dumps({"error": "Function call failed"})
        return {"tool_call_id": call.get("id"), "output": output}


def _tool_calls(action: dict[str, Any]) -> list[dict[str, Any]]:
    calls = (action.get("submit_tool_outputs") or {}).get("tool_calls") or []
    return [c for c in calls if isinstance(c, dict)]


def _history(context: Any) -> list[Any]:
    """The session's history, written by upstream as a JSON string, by us the same way."""
    if isinstance(context, str):
        try:
            context = json.loads(context)
        except ValueError:
            return []
    history = context.get("history") if isinstance(context, dict) else None
    return list(history) if isinstance(history, list) else []
