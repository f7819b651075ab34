"""Flowise: POST <apiUrl> (a chatflow's prediction URL) {question, overrideConfig}."""

from evolution_py.integrations.chatbots.flowise.backend import FlowiseBackend
from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import Flowise, FlowiseSetting
from evolution_py.integrations.chatbots.settings_sets import WITH_SESSION

FLOWISE = BotKind(
    name="Flowise",
    route="flowise",
    session_type="flowise",
    enable_env="FLOWISE_ENABLED",
    bot_table=Flowise,
    setting_table=FlowiseSetting,
    fallback_column="flowiseIdFallback",
    fields=(Field("apiUrl", str, required=True), Field("apiKey", str)),
    settings_required=WITH_SESSION,
    backend=FlowiseBackend,
    duplicate_on_create=("apiUrl", "apiKey"),
    duplicate_on_update=("apiUrl", "apiKey"),
    duplicate_message="Flowise already exists",
)
