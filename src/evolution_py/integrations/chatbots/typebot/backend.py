"""Typebot's protocol, both API versions (TYPEBOT_API_VERSION):
- `latest`: POST <url>/api/v1/typebots/<publicId>/startChat {prefilledVariables}, then
  POST <url>/api/v1/sessions/<sessionId>/continueChat {message};
- `old` (upstream's default): POST <url>/api/v1/sendMessage {startParams{publicId, prefilledVariables}},
  then {message, sessionId}.
The session stores `<random>-<typebot session id>` as upstream does. Prefilled variables carry the
instance's own token as `apiKey` (upstream sends the global key)."""

from __future__ import annotations

import random
from typing import Any

from evolution_py.events import names
from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, BotAnswer, Turn
from evolution_py.integrations.chatbots.openai.speech import heard
from evolution_py.integrations.chatbots.typebot.render import render
from evolution_py.outbound import Answer

TIME_LIMIT_SECONDS = 60.0


class TypebotBackend:
    def __init__(self, context: BackendContext) -> None:
        self.context = context

    @property
    def latest(self) -> bool:
        return self.context.settings.env.text("TYPEBOT_API_VERSION", "old") == "latest"

    def variables(self, turn: Turn) -> dict[str, Any]:
        return {
            **turn.prefilled,
            "remoteJid": turn.remote_jid,
            "pushName": turn.push_name or turn.prefilled.get("pushName", ""),
            "instanceName": turn.instance_name,
            "serverUrl": turn.server_url,
            "apiKey": turn.instance_token,
            "ownerJid": turn.instance_number,
        }

    async def start_chat(self, url: str, public_id: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self.latest:
            target, body = f"{url}/api/v1/typebots/{public_id}/startChat", {"prefilledVariables": variables}
        else:
            target = f"{url}/api/v1/sendMessage"
            body = {"startParams": {"publicId": public_id, "prefilledVariables": variables}}
        return _json(await self.context.outbound.request("POST", target, json=body, time_limit=TIME_LIMIT_SECONDS))

    async def continue_chat(self, url: str, session_id: str, message: str) -> dict[str, Any]:
        if self.latest:
            target, body = f"{url}/api/v1/sessions/{session_id}/continueChat", {"message": message}
        else:
            target, body = f"{url}/api/v1/sendMessage", {"message": message, "sessionId": session_id}
        return _json(await self.context.outbound.request("POST", target, json=body, time_limit=TIME_LIMIT_SECONDS))

    async def answer(self, turn: Turn) -> BotAnswer:
        url = str(turn.bot.get("url") or "").rstrip("/")
        result = BotAnswer()
        if turn.new_session:
            variables = self.variables(turn)
            started = await self.start_chat(url, str(turn.bot.get("typebot") or ""), variables)
            typebot_session = started.get("sessionId")
            if not typebot_session:
                raise BackendError("Typebot started no session")
            result.session_id = f"{random.randrange(10_000_000_000)}-{typebot_session}"
            result.parameters = variables
            session = {**turn.session, "sessionId": result.session_id, "parameters": variables}
            result.events.append(
                (names.TYPEBOT_CHANGE_STATUS, {"remoteJid": turn.remote_jid, "status": "opened", "session": session})
            )
            if started.get("messages"):
                return self._finish(result, started, turn)
            reply = await self.continue_chat(url, str(typebot_session), turn.content)
        else:
            parts = str(turn.session.get("sessionId") or "").split("-", 1)
            if len(parts) < 2 or not parts[1]:
                raise BackendError("the session holds no Typebot session id")
            message = await heard(self.context, turn.instance_id, turn.content, turn.message)
            reply = await self.continue_chat(url, parts[1], message)
        return self._finish(result, reply, turn)

    @staticmethod
    def _finish(result: BotAnswer, reply: dict[str, Any], turn: Turn) -> BotAnswer:
        result.replies = render(reply, turn.settings)
        if not reply.get("input"):  # the flow ended: the session closes (keepOpen) or goes
            result.close = True
            status = "closed" if turn.settings.get("keepOpen") else "delete"
            result.events.append(
                (names.TYPEBOT_CHANGE_STATUS, {"remoteJid": turn.remote_jid, "status": status, "session": turn.session})
            )
        return result


def _json(answer: Answer) -> dict[str, Any]:
    if not answer.ok:
        raise BackendError(f"Typebot answered {answer.failure()}")
    body = answer.json()
    if not isinstance(body, dict):
        raise BackendError("Typebot's answer is not a JSON object")
    return body
