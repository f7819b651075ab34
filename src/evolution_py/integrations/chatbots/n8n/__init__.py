"""n8n: POST <webhookUrl> (basic auth when set) {chatInput, sessionId, ...} → {output}."""

from evolution_py.integrations.chatbots.kind import BotKind, Field
from evolution_py.integrations.chatbots.models import N8n, N8nSetting
from evolution_py.integrations.chatbots.n8n.backend import N8nBackend
from evolution_py.integrations.chatbots.settings_sets import WITH_SPLIT

N8N = BotKind(
    name="N8n",
    route="n8n",
    session_type="n8n",
    enable_env="N8N_ENABLED",
    bot_table=N8n,
    setting_table=N8nSetting,
    fallback_column="n8nIdFallback",
    fields=(
        Field("webhookUrl", str, required=True),
        Field("basicAuthUser", str),
        Field("basicAuthPass", str),
        Field("basicAuthPassword", str),  # in upstream's schema, never stored
    ),
    settings_required=WITH_SPLIT,
    backend=N8nBackend,
    duplicate_on_create=("webhookUrl", "basicAuthUser", "basicAuthPass"),
    duplicate_on_update=("webhookUrl", "basicAuthUser", "basicAuthPass"),
    duplicate_message="N8n already exists",
)
