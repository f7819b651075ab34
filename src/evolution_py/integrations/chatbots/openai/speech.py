"""Whisper for every bot kind: an inbound audio transcribed with the credentials of the instance's
OpenAI settings (upstream's openaiService.speechToText)."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from evolution_py.integrations.chatbots.kind import BackendContext, BackendError
from evolution_py.integrations.chatbots.models import OpenaiCreds, OpenaiSetting
from evolution_py.integrations.chatbots.openai.client import MAX_AUDIO_BYTES, OpenaiClient
from evolution_py.outbound import OutboundError


async def audio_bytes(context: BackendContext, message: dict[str, Any]) -> bytes | None:
    """The audio of an inbound message: its `mediaUrl` (bounded) or its `base64`."""
    body = message.get("message") or {}
    try:
        if body.get("mediaUrl"):
            fetched = await context.outbound.request(
                "GET", str(body["mediaUrl"]), max_bytes=MAX_AUDIO_BYTES, time_limit=60
            )
            return fetched.body if fetched.ok and not fetched.truncated else None
        if body.get("base64"):
            return base64.b64decode(str(body["base64"]))
    except (OutboundError, ValueError):
        return None
    return None


def language(context: BackendContext) -> str:
    configured = context.settings.env.text("LANGUAGE", "en")
    return "pt" if "pt" in configured else configured


async def transcribe_with(context: BackendContext, client: OpenaiClient, message: dict[str, Any]) -> str | None:
    audio = await audio_bytes(context, message)
    if audio is None:
        return None
    try:
        return await client.transcribe(audio, language(context))
    except (BackendError, OutboundError):
        return None


async def settings_client(context: BackendContext, instance_id: str, *, only_if_on: bool) -> OpenaiClient | None:
    """A client with the credentials of the instance's OpenAI settings (with `only_if_on`: only
    when those settings have speechToText on)."""
    async with context.db.session() as session:
        settings = await session.scalar(select(OpenaiSetting).where(OpenaiSetting.instanceId == instance_id))
        if settings is None or not settings.openaiCredsId or (only_if_on and not settings.speechToText):
            return None
        creds = await session.get(OpenaiCreds, settings.openaiCredsId)
    if creds is None or not creds.apiKey:
        return None
    return OpenaiClient(context.outbound, context.settings, creds.apiKey)


async def speech_to_text(context: BackendContext, instance_id: str, message: dict[str, Any]) -> str | None:
    client = await settings_client(context, instance_id, only_if_on=False)
    return None if client is None else await transcribe_with(context, client, message)


async def heard(context: BackendContext, instance_id: str, content: str, message: dict[str, Any]) -> str:
    """`content`, or `[audio] <transcription>` for an audio the instance's OpenAI settings can transcribe."""
    if "audioMessage" not in content:
        return content
    text = await speech_to_text(context, instance_id, message)
    return f"[audio] {text}" if text else content
