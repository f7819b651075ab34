"""Typebot: startChat / continueChat (TYPEBOT_API_VERSION=latest) or sendMessage (old)."""

from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import Typebot, TypebotSetting
from evolution_py.integrations.chatbots.settings_sets import BASIC
from evolution_py.integrations.chatbots.typebot.backend import TypebotBackend
from evolution_py.integrations.chatbots.typebot.routes import typebot_routes

TYPEBOT = BotKind(
    name="Typebot",
    route="typebot",
    session_type="typebot",
    enable_env="TYPEBOT_ENABLED",
    bot_table=Typebot,
    setting_table=TypebotSetting,
    fallback_column="typebotIdFallback",
    fields=(Field("url", str, required=True), Field("typebot", str, required=True)),
    settings_required=BASIC,
    backend=TypebotBackend,
    duplicate_on_update=("url", "typebot"),
    duplicate_message="Typebot already exists",
    extra_routes=typebot_routes,
)
