"""chatbots: a bot table and a settings table per kind, IntegrationSession, ChatbotTurn

Revision ID: 0009_chatbots
Revises: 0008_sinks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evolution_py.store.columns import JsonType, Stamp

revision: str = "0009_chatbots"
down_revision: str | None = "0008_sinks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = JsonType


def _behaviour() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("expire", sa.Integer(), nullable=True),
        sa.Column("keywordFinish", sa.String(length=100), nullable=True),
        sa.Column("delayMessage", sa.Integer(), nullable=True),
        sa.Column("unknownMessage", sa.String(length=100), nullable=True),
        sa.Column("listeningFromMe", sa.Boolean(), nullable=True),
        sa.Column("stopBotFromMe", sa.Boolean(), nullable=True),
        sa.Column("keepOpen", sa.Boolean(), nullable=True),
        sa.Column("debounceTime", sa.Integer(), nullable=True),
        sa.Column("ignoreJids", JSON, nullable=True),
        sa.Column("splitMessages", sa.Boolean(), nullable=True),
        sa.Column("timePerChar", sa.Integer(), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
    ]


def _instance_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["instanceId"], ["Instance.id"], ondelete="CASCADE")


def _bot_table(name: str, own: list[sa.Column[object]], extra: Sequence[object] = ()) -> None:
    op.create_table(
        name,
        *_behaviour(),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("triggerType", sa.String(length=20), nullable=True),
        sa.Column("triggerOperator", sa.String(length=20), nullable=True),
        sa.Column("triggerValue", sa.Text(), nullable=True),
        sa.Column("instanceId", sa.String(length=100), nullable=False),
        *own,
        _instance_fk(),
        *extra,  # type: ignore[arg-type]
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_instanceId", name, ["instanceId"])


def _setting_table(name: str, bot: str, fallback: str, own: Sequence[object] = ()) -> None:
    op.create_table(
        name,
        *_behaviour(),
        sa.Column("instanceId", sa.String(length=100), nullable=False),
        sa.Column(fallback, sa.String(length=100), nullable=True),
        *own,  # type: ignore[arg-type]
        _instance_fk(),
        sa.ForeignKeyConstraint([fallback], [f"{bot}.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId"),
    )


def _url_key(url: str) -> list[sa.Column[object]]:
    return [
        sa.Column(url, sa.String(length=255), nullable=True),
        sa.Column("apiKey", sa.String(length=255), nullable=True),
    ]


def upgrade() -> None:
    _bot_table("EvolutionBot", _url_key("apiUrl"))
    _setting_table("EvolutionBotSetting", "EvolutionBot", "botIdFallback")
    _bot_table(
        "Typebot",
        [
            sa.Column("url", sa.String(length=500), nullable=False),
            sa.Column("typebot", sa.String(length=100), nullable=False),
        ],
    )
    _setting_table("TypebotSetting", "Typebot", "typebotIdFallback")
    op.create_table(
        "OpenaiCreds",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("apiKey", sa.String(length=255), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        sa.Column("instanceId", sa.String(length=100), nullable=False),
        _instance_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("apiKey"),
    )
    op.create_index("ix_OpenaiCreds_instanceId", "OpenaiCreds", ["instanceId"])
    _bot_table(
        "OpenaiBot",
        [
            sa.Column("botType", sa.String(length=20), nullable=False),
            sa.Column("assistantId", sa.String(length=255), nullable=True),
            sa.Column("functionUrl", sa.String(length=500), nullable=True),
            sa.Column("model", sa.String(length=100), nullable=True),
            sa.Column("systemMessages", JSON, nullable=True),
            sa.Column("assistantMessages", JSON, nullable=True),
            sa.Column("userMessages", JSON, nullable=True),
            sa.Column("maxTokens", sa.Integer(), nullable=True),
            sa.Column("openaiCredsId", sa.String(length=100), nullable=False),
        ],
        [sa.ForeignKeyConstraint(["openaiCredsId"], ["OpenaiCreds.id"], ondelete="CASCADE")],
    )
    op.create_index("ix_OpenaiBot_openaiCredsId", "OpenaiBot", ["openaiCredsId"])
    _setting_table(
        "OpenaiSetting",
        "OpenaiBot",
        "openaiIdFallback",
        [
            sa.Column("speechToText", sa.Boolean(), nullable=True),
            sa.Column("openaiCredsId", sa.String(length=100), nullable=True),
            sa.ForeignKeyConstraint(["openaiCredsId"], ["OpenaiCreds.id"], ondelete="SET NULL"),
        ],
    )
    _bot_table("Dify", [sa.Column("botType", sa.String(length=20), nullable=False), *_url_key("apiUrl")])
    _setting_table("DifySetting", "Dify", "difyIdFallback")
    _bot_table("Flowise", _url_key("apiUrl"))
    _setting_table("FlowiseSetting", "Flowise", "flowiseIdFallback")
    _bot_table(
        "N8n",
        [
            sa.Column("webhookUrl", sa.String(length=255), nullable=True),
            sa.Column("basicAuthUser", sa.String(length=255), nullable=True),
            sa.Column("basicAuthPass", sa.String(length=255), nullable=True),
        ],
    )
    _setting_table("N8nSetting", "N8n", "n8nIdFallback")
    _bot_table("Evoai", _url_key("agentUrl"))
    _setting_table("EvoaiSetting", "Evoai", "evoaiIdFallback")
    op.create_table(
        "IntegrationSession",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("sessionId", sa.String(length=255), nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("pushName", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("awaitUser", sa.Boolean(), nullable=False),
        sa.Column("context", JSON, nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        sa.Column("instanceId", sa.String(length=100), nullable=False),
        sa.Column("parameters", JSON, nullable=True),
        sa.Column("botId", sa.String(length=100), nullable=True),
        _instance_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("IntegrationSession_instanceId_remoteJid_idx", "IntegrationSession", ["instanceId", "remoteJid"])
    op.create_table(
        "ChatbotTurn",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("instanceId", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("messageId", sa.String(length=255), nullable=False),
        sa.Column("remoteJid", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", JSON, nullable=True),
        sa.Column("replies", JSON, nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("createdAt", Stamp, nullable=True),
        sa.Column("updatedAt", Stamp, nullable=True),
        _instance_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instanceId", "kind", "messageId", name="ChatbotTurn_instanceId_kind_messageId_key"),
    )
    op.create_index("ChatbotTurn_status_idx", "ChatbotTurn", ["status"])


def downgrade() -> None:
    for table in (
        "ChatbotTurn",
        "IntegrationSession",
        "EvoaiSetting",
        "Evoai",
        "N8nSetting",
        "N8n",
        "FlowiseSetting",
        "Flowise",
        "DifySetting",
        "Dify",
        "OpenaiSetting",
        "OpenaiBot",
        "OpenaiCreds",
        "TypebotSetting",
        "Typebot",
        "EvolutionBotSetting",
        "EvolutionBot",
    ):
        op.drop_table(table)
