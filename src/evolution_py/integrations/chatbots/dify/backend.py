"""Dify's protocol (upstream's dify.service), by botType, with `Authorization: Bearer <apiKey>`:
- chatBot: POST <apiUrl>/chat-messages, blocking; the answer's `answer`, its `conversation_id` kept;
- textGenerator: POST <apiUrl>/completion-messages, blocking, the text in `inputs.query`;
- agent: POST <apiUrl>/chat-messages, streaming; the `agent_message` events' answers joined;
- workflow (ours: upstream 2.3.6 sends nothing): POST <apiUrl>/workflows/run, blocking; the
  outputs' `answer`, `text` or `output`, else the first text output."""

from __future__ import annotations

from typing import Any

import msgspec

from evolution_py.integrations.chatbots.http_bot import TIME_LIMIT_SECONDS, caller_fields, conversation_id, post_json
from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.replies import text_replies


def _image(turn: Turn) -> tuple[list[dict[str, Any]] | None, str]:
    if "imageMessage" not in turn.content:
        return None, turn.content
    parts = turn.content.split("|")
    message = turn.message.get("message") or {}
    url = message.get("mediaUrl") or message.get("base64") or (parts[1].split("?")[0] if len(parts) > 1 else "")
    query = parts[2] if len(parts) > 2 and parts[2] else turn.content
    return [{"type": "image", "transfer_method": "remote_url", "url": url}], query


class DifyBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        base = str(bot.get("apiUrl") or "").rstrip("/")
        headers = {"Authorization": f"Bearer {bot.get('apiKey') or ''}"}
        files, query = _image(turn)
        if files is None:
            query = await heard(self.context, turn.instance_id, turn.content, turn.message)
        bot_type = bot.get("botType")
        inputs = caller_fields(turn)
        payload: dict[str, Any] = {"inputs": inputs, "user": turn.remote_jid}
        conversation = conversation_id(turn)
        if conversation is not None:
            payload["conversation_id"] = conversation
        if files is not None:
            payload["files"] = files
        if bot_type == "chatBot":
            body = await post_json(
                self.context, "Dify", f"{base}/chat-messages", {**payload, "query": query, "response_mode": "blocking"},
                headers,
            )  # fmt: skip
            return self._reply(turn, body.get("answer"), body.get("conversation_id"))
        if bot_type == "textGenerator":
            payload["inputs"] = {"query": query, **inputs}
            body = await post_json(
                self.context, "Dify", f"{base}/completion-messages", {**payload, "response_mode": "blocking"}, headers
            )
            return self._reply(turn, body.get("answer"), body.get("conversation_id"))
        if bot_type == "agent":
            return await self._agent(turn, f"{base}/chat-messages", {**payload, "query": query}, headers)
        if bot_type == "workflow":
            payload["inputs"] = {"query": query, **inputs}
            body = await post_json(
                self.context, "Dify", f"{base}/workflows/run", {**payload, "response_mode": "blocking"}, headers
            )
            outputs = (body.get("data") or {}).get("outputs") or {}
            return self._reply(turn, _output_text(outputs), None)
        raise BackendError(f"unknown Dify botType {bot_type!r}")

    async def _agent(self, turn: Turn, url: str, payload: dict[str, Any], headers: dict[str, str]) -> BotAnswer:
        answer = await self.context.outbound.request(
            "POST", url, json={**payload, "response_mode": "streaming"}, headers=headers, time_limit=TIME_LIMIT_SECONDS
        )
        if not answer.ok:
            raise BackendError(f"Dify answered {answer.failure()}")
        text, conversation = "", None
        for line in answer.body.decode(errors="replace").replace("data: ", "").split("\n"):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                event = msgspec.json.decode(line)
            except msgspec.DecodeError:
                continue
            if isinstance(event, dict) and event.get("event") == "agent_message":
                conversation = conversation or event.get("conversation_id")
                text += str(event.get("answer") or "")
        return self._reply(turn, text, conversation)

    @staticmethod
    def _reply(turn: Turn, message: Any, conversation: Any) -> BotAnswer:
        result = BotAnswer()
        if conversation and conversation_id(turn) is None:
            result.session_id = str(conversation)
        if isinstance(message, str) and message:
            result.replies = text_replies(message, turn.settings)
        return result


def _output_text(outputs: dict[str, Any]) -> str | None:
    for name in ("answer", "text", "output", "result"):
        if isinstance(outputs.get(name), str):
            return str(outputs[name])
    return next((v for v in outputs.values() if isinstance(v, str)), None)
