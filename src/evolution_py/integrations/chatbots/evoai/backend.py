"""EvoAI's protocol (upstream's evoai.service): an A2A JSON-RPC `message/send` to <agentUrl> with
`x-api-key`, the session's id as `contextId`; the reply is the first text part of the first artifact."""

from __future__ import annotations

import uuid
from typing import Any

from evolution_py.integrations.chatbots.http_bot import caller_fields, post_json
from evolution_py.integrations.chatbots.kind import BackendContext, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.replies import text_replies


class EvoaiBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        text = await heard(self.context, turn.instance_id, turn.content, turn.message)
        if "imageMessage" in text:
            parts = text.split("|")
            text = parts[2] if len(parts) > 2 and parts[2] else text
        key = turn.message.get("key") or {}
        message_parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        encoded = (turn.message.get("message") or {}).get("base64")
        if "imageMessage" in turn.content and encoded:
            image = {"name": f"{key.get('id')}.jpeg", "mimeType": "image/jpeg", "bytes": encoded}
            message_parts.append({"type": "file", "file": image})
        payload = {
            "jsonrpc": "2.0",
            "id": f"req-{uuid.uuid4().hex[:8]}",
            "method": "message/send",
            "params": {
                "contextId": turn.session.get("sessionId"),
                "message": {
                    "role": "user",
                    "parts": message_parts,
                    "messageId": turn.remote_jid.split("@")[0] or str(uuid.uuid4()),
                    "metadata": {"messageKey": key},
                },
                "metadata": {**caller_fields(turn), "fromMe": turn.from_me},
            },
        }
        headers = {"x-api-key": str(bot.get("apiKey") or "")}
        body = await post_json(self.context, "EvoAI", str(bot.get("agentUrl") or ""), payload, headers)
        message = _first_text(body.get("result"))
        if not message:
            return BotAnswer()
        return BotAnswer(replies=text_replies(message, turn.settings))


def _first_text(result: Any) -> str | None:
    if not isinstance(result, dict):
        return None
    artifacts = result.get("artifacts")
    if not isinstance(artifacts, list) or not artifacts or not isinstance(artifacts[0], dict):
        return None
    for part in artifacts[0].get("parts") or []:
        if isinstance(part, dict) and part.get("type") == "text" and part.get("text"):
            return str(part["text"])
    return None
