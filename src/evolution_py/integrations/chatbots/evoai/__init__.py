"""EvoAI: an A2A JSON-RPC agent (POST <agentUrl> message/send)."""

from evolution_py.integrations.chatbots.evoai.backend import EvoaiBackend
from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import Evoai, EvoaiSetting
from evolution_py.integrations.chatbots.settings_sets import WITH_SPLIT

EVOAI = BotKind(
    name="Evoai",
    route="evoai",
    session_type="evoai",
    enable_env="EVOAI_ENABLED",
    bot_table=Evoai,
    setting_table=EvoaiSetting,
    fallback_column="evoaiIdFallback",
    fields=(Field("agentUrl", str, required=True), Field("apiKey", str)),
    settings_required=WITH_SPLIT,
    backend=EvoaiBackend,
    duplicate_on_create=("agentUrl", "apiKey"),
    duplicate_on_update=("agentUrl", "apiKey"),
    duplicate_message="Evoai already exists",
)
