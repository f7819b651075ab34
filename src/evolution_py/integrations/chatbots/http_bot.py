"""What the HTTP bot backends share: one POST through the guarded client, its JSON answer or a
BackendError naming the status (never the body)."""

from __future__ import annotations

from typing import Any

from evolution_py.integrations.chatbots.kind import BackendContext, BackendError, Turn

TIME_LIMIT_SECONDS = 60.0  # one bot answer; a slower bot is logged as failed for the turn


async def post_json(
    context: BackendContext, kind: str, url: str, payload: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    if not url:
        raise BackendError(f"No {kind} endpoint defined")
    answer = await context.outbound.request("POST", url, json=payload, headers=headers, time_limit=TIME_LIMIT_SECONDS)
    if not answer.ok:
        raise BackendError(f"{kind} answered {answer.failure()}")
    body = answer.json()
    if not isinstance(body, dict):
        raise BackendError(f"{kind}'s answer is not a JSON object")
    return body


def caller_fields(turn: Turn) -> dict[str, Any]:
    """What every bot is told of the conversation and of how to call this server back (with the
    instance's own token)."""
    return {
        "remoteJid": turn.remote_jid,
        "pushName": turn.push_name,
        "instanceName": turn.instance_name,
        "serverUrl": turn.server_url,
        "apiKey": turn.instance_token,
    }


def conversation_id(turn: Turn) -> str | None:
    """The bot server's own conversation id, once it gave one (the session starts with the JID)."""
    stored = turn.session.get("sessionId")
    return None if not stored or stored == turn.remote_jid else str(stored)
