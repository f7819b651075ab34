"""Dify: chatBot / agent (chat-messages), textGenerator (completion-messages), workflow (workflows/run)."""

from typing import Literal

from evolution_py.integrations.chatbots.dify.backend import DifyBackend
from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import Dify, DifySetting
from evolution_py.integrations.chatbots.settings_sets import WITH_SPLIT

DIFY = BotKind(
    name="Dify",
    route="dify",
    session_type="dify",
    enable_env="DIFY_ENABLED",
    bot_table=Dify,
    setting_table=DifySetting,
    fallback_column="difyIdFallback",
    fields=(
        Field("botType", Literal["chatBot", "textGenerator", "agent", "workflow"], required=True),
        Field("apiUrl", str),
        Field("apiKey", str),
    ),
    settings_required=WITH_SPLIT,
    backend=DifyBackend,
    duplicate_on_create=("botType", "apiUrl", "apiKey"),
    duplicate_on_update=("botType", "apiUrl", "apiKey"),
    duplicate_message="Dify already exists",
)
