"""n8n's protocol (upstream's n8n.service): POST <webhookUrl> with basic auth when both user and
password are set, body `{chatInput, sessionId, remoteJid, pushName, keyId, fromMe, instanceName,
serverUrl, apiKey}`; the answer's `output` (or `answer`) is the reply."""

from __future__ import annotations

import base64

from evolution_py.integrations.chatbots.evolution_bot.backend import unquote
from evolution_py.integrations.chatbots.http_bot import caller_fields, post_json
from evolution_py.integrations.chatbots.kind import BackendContext, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.replies import text_replies


class N8nBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        payload = {
            "chatInput": await heard(self.context, turn.instance_id, turn.content, turn.message),
            "sessionId": turn.session.get("sessionId"),
            "keyId": (turn.message.get("key") or {}).get("id"),
            "fromMe": turn.from_me,
            **caller_fields(turn),
        }
        headers = {}
        if bot.get("basicAuthUser") and bot.get("basicAuthPass"):
            pair = f"{bot['basicAuthUser']}:{bot['basicAuthPass']}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        body = await post_json(self.context, "N8n", str(bot.get("webhookUrl") or ""), payload, headers)
        message = unquote(body.get("output") or body.get("answer"))
        if not isinstance(message, str) or not message:
            return BotAnswer()
        return BotAnswer(replies=text_replies(message, turn.settings))
