"""OpenAI: per-instance credentials, assistants and chat-completion bots (OPENAI_BASE_URL for any compatible server)."""

from typing import Any, Literal

from evolution_py.integrations.chatbots.admin import plain_error
from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import OpenaiBot, OpenaiSetting
from evolution_py.integrations.chatbots.openai.backend import OpenaiBackend
from evolution_py.integrations.chatbots.openai.routes import openai_routes
from evolution_py.integrations.chatbots.settings_sets import WITH_SESSION


def _check(data: dict[str, Any]) -> None:
    """Upstream's botType rules (plain errors: 500 with the message)."""
    if data.get("botType") == "assistant":
        if not data.get("assistantId"):
            raise plain_error("Assistant ID is required")
    elif data.get("botType") == "chatCompletion":
        if not data.get("model"):
            raise plain_error("Model is required")
        if not data.get("maxTokens"):
            raise plain_error("Max tokens is required")


def _duplicate(data: dict[str, Any]) -> tuple[str, ...]:
    if data.get("botType") == "assistant":
        return ("assistantId", "botType")
    return ("model", "maxTokens", "botType")


OPENAI = BotKind(
    name="Openai",
    route="openai",
    session_type="openai",
    enable_env="OPENAI_ENABLED",
    bot_table=OpenaiBot,
    setting_table=OpenaiSetting,
    fallback_column="openaiIdFallback",
    fields=(
        Field("openaiCredsId", str, required=True),
        Field("botType", Literal["assistant", "chatCompletion"], required=True),
        Field("assistantId", str),
        Field("functionUrl", str),
        Field("model", str),
        Field("systemMessages", list[str]),
        Field("assistantMessages", list[str]),
        Field("userMessages", list[str]),
        Field("maxTokens", int),
    ),
    settings_required=("openaiCredsId", *WITH_SESSION),
    settings_fields=(Field("openaiCredsId", str), Field("speechToText", bool)),
    backend=OpenaiBackend,
    duplicate_on_create=_duplicate,
    duplicate_on_update=_duplicate,
    duplicate_message="Openai Bot already exists",
    check=_check,
    extra_routes=openai_routes,
)
