"""EvolutionBot: a plain HTTP bot protocol (POST {query, inputs, ...} → {message})."""

from evolution_py.integrations.chatbots.evolution_bot.backend import EvolutionBotBackend
from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import EvolutionBot, EvolutionBotSetting
from evolution_py.integrations.chatbots.settings_sets import WITH_SPLIT

EVOLUTION_BOT = BotKind(
    name="EvolutionBot",
    route="evolutionBot",
    session_type="evolution",
    enable_env=None,
    bot_table=EvolutionBot,
    setting_table=EvolutionBotSetting,
    fallback_column="botIdFallback",
    fields=(Field("apiUrl", str, required=True), Field("apiKey", str)),
    settings_required=WITH_SPLIT,
    backend=EvolutionBotBackend,
    duplicate_on_update=("apiUrl", "apiKey"),
    duplicate_message="Evolution Bot already exists",
)
