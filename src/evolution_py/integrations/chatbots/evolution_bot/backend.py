"""EvolutionBot's protocol (upstream's evolutionBot.service): POST <apiUrl> with `Authorization:
Bearer <apiKey>` when set, body `{query, inputs{sessionId, remoteJid, pushName, fromMe, instanceName,
serverUrl, apiKey}, conversation_id, user, files?}`; the answer `{message, linkPreview?}`."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.replies import text_replies

TIME_LIMIT_SECONDS = 60.0


def image_files(turn: Turn) -> tuple[list[dict[str, Any]] | None, str]:
    """For an image: the file entry upstream sends and the query (the caption, else the content)."""
    if "imageMessage" not in turn.content:
        return None, turn.content
    parts = turn.content.split("|")
    message = turn.message.get("message") or {}
    url = message.get("base64") or message.get("mediaUrl") or (parts[1].split("?")[0] if len(parts) > 1 else "")
    return [{"type": "image", "url": url}], (parts[2] if len(parts) > 2 and parts[2] else turn.content)


def unquote(message: Any) -> Any:
    """A message wrapped in single quotes (an n8n habit) loses them when nothing inside is quoted."""
    if isinstance(message, str) and len(message) >= 2 and message[0] == "'" and message[-1] == "'":
        inner = message[1:-1]
        if "'" not in inner:
            return inner
    return message


class EvolutionBotBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    async def answer(self, turn: Turn) -> BotAnswer:
        bot = turn.bot
        if not bot.get("apiUrl"):
            raise BackendError("No Evolution Bot endpoint defined")
        session = turn.session
        payload: dict[str, Any] = {
            "inputs": {
                "sessionId": session["id"],
                "remoteJid": turn.remote_jid,
                "pushName": turn.push_name,
                "fromMe": turn.from_me,
                "instanceName": turn.instance_name,
                "serverUrl": turn.server_url,
                "apiKey": turn.instance_token,
            },
            "query": await heard(self.context, turn.instance_id, turn.content, turn.message),
            "user": turn.remote_jid,
        }
        if session.get("sessionId") and session["sessionId"] != turn.remote_jid:
            payload["conversation_id"] = session["sessionId"]
        files, query = image_files(turn)
        if files is not None:
            payload["files"], payload["query"] = files, query
        headers = {"Authorization": f"Bearer {bot['apiKey']}"} if bot.get("apiKey") else {}
        answer = await self.context.outbound.request(
            "POST", bot["apiUrl"], json=payload, headers=headers, time_limit=TIME_LIMIT_SECONDS
        )
        if not answer.ok:
            raise BackendError(f"Evolution Bot answered {answer.failure()}")
        body = answer.json()
        message = unquote(body.get("message")) if isinstance(body, dict) else None
        if not message or not isinstance(message, str):
            return BotAnswer()
        link_preview = body.get("linkPreview")
        return BotAnswer(
            replies=text_replies(message, turn.settings, link_preview if isinstance(link_preview, bool) else True)
        )
