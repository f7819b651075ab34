"""The OpenAI REST calls the bots make, through the guarded client, at OPENAI_BASE_URL (default
https://api.openai.com/v1: any OpenAI-compatible server works)."""

from __future__ import annotations

from typing import Any

import aiohttp

from evolution_py.config import Settings
from evolution_py.integrations.chatbots.kind import BackendError
from evolution_py.outbound import OutboundClient

DEFAULT_BASE_URL = "https://api.openai.com/v1"
TIME_LIMIT_SECONDS = 60.0
ASSISTANTS = {"OpenAI-Beta": "assistants=v2"}
MAX_AUDIO_BYTES = 25 * 1024 * 1024  # Whisper's own upload limit


def base_url(settings: Settings) -> str:
    return settings.env.text("OPENAI_BASE_URL", DEFAULT_BASE_URL).rstrip("/") or DEFAULT_BASE_URL


class OpenaiClient:
    def __init__(self, outbound: OutboundClient, settings: Settings, api_key: str) -> None:
        self.outbound = outbound
        self.base = base_url(settings)
        self.headers = {"Authorization": f"Bearer {api_key}"}

    async def call(
        self, method: str, path: str, body: Any = None, *, beta: bool = False, form: aiohttp.FormData | None = None
    ) -> dict[str, Any]:
        headers = {**self.headers, **(ASSISTANTS if beta else {})}
        answer = await self.outbound.request(
            method, f"{self.base}{path}", json=body, data=form, headers=headers, time_limit=TIME_LIMIT_SECONDS
        )
        if not answer.ok:
            raise BackendError(f"OpenAI answered {answer.failure()} to {method} {path.split('/')[1]}")
        result = answer.json()
        if not isinstance(result, dict):
            raise BackendError("OpenAI's answer is not a JSON object")
        return result

    async def models(self) -> list[Any]:
        data = (await self.call("GET", "/models")).get("data")
        return data if isinstance(data, list) else []

    async def transcribe(self, audio: bytes, language: str) -> str | None:
        form = aiohttp.FormData()
        form.add_field("file", audio, filename="audio.ogg", content_type="audio/ogg")
        form.add_field("model", "whisper-1")
        form.add_field("language", language)
        text = (await self.call("POST", "/audio/transcriptions", form=form)).get("text")
        return str(text) if text else None
