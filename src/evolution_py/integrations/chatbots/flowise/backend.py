"""Flowise's protocol (upstream's flowise.service): POST <apiUrl> (a chatflow's prediction URL) with
`Authorization: Bearer <apiKey>` when set, body `{question, overrideConfig{sessionId, vars{...}},
uploads?}`; the answer's `text` is the reply."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.chatbots.http_bot import caller_fields, post_json
from evolution_py.integrations.chatbots.kind import BackendContext, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.replies import text_replies


class FlowiseBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        key = turn.message.get("key") or {}
        payload: dict[str, Any] = {
            "question": await heard(self.context, turn.instance_id, turn.content, turn.message),
            "overrideConfig": {
                "sessionId": turn.remote_jid,
                "vars": {"messageId": key.get("id"), "fromMe": turn.from_me, **caller_fields(turn)},
            },
        }
        if "imageMessage" in turn.content:
            parts = turn.content.split("|")
            message = turn.message.get("message") or {}
            data = message.get("base64") or message.get("mediaUrl")
            if not data:
                data = parts[1].split("?")[0] if len(parts) > 1 else ""
                payload["question"] = parts[2] if len(parts) > 2 and parts[2] else turn.content
            payload["uploads"] = [{"data": data, "type": "url", "name": "Flowise.png", "mime": "image/png"}]
        headers = {"Authorization": f"Bearer {bot['apiKey']}"} if bot.get("apiKey") else {}
        body = await post_json(self.context, "Flowise", str(bot.get("apiUrl") or ""), payload, headers)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return BotAnswer()
        return BotAnswer(replies=text_replies(text, turn.settings))
