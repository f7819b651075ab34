"""The chatbot tables, named and shaped as upstream's Prisma schema (tag 2.3.6).

Every bot kind has a bot table (`Typebot`, `Dify`, ...) and a settings table (`TypebotSetting`, ...,
one row per instance) with the same behaviour columns; the mixins below hold those columns once.
`IntegrationSession` is shared by all kinds (`type` says whose it is). `ChatbotTurn` is ours: it
records which inbound message the engine already handled, so a retried or replayed event is never
answered twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from evolution_py.store.columns import JsonType, Stamp
from evolution_py.store.models import Base, new_id, utcnow

ID = String(100)  # explicit lengths: indexed and unique columns must have one on MySQL


def _instance_id(*, unique: bool = False) -> Mapped[str]:
    return mapped_column(
        "instanceId", ID, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False, unique=unique, index=not unique
    )


class _Behaviour:
    """The behaviour columns every bot row and every settings row has."""

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    expire: Mapped[int | None] = mapped_column(Integer, default=0)
    keywordFinish: Mapped[str | None] = mapped_column(String(100))
    delayMessage: Mapped[int | None] = mapped_column(Integer)
    unknownMessage: Mapped[str | None] = mapped_column(String(100))
    listeningFromMe: Mapped[bool | None] = mapped_column(Boolean, default=False)
    stopBotFromMe: Mapped[bool | None] = mapped_column(Boolean, default=False)
    keepOpen: Mapped[bool | None] = mapped_column(Boolean, default=False)
    debounceTime: Mapped[int | None] = mapped_column(Integer)
    ignoreJids: Mapped[Any | None] = mapped_column(JsonType)
    splitMessages: Mapped[bool | None] = mapped_column(Boolean, default=False)
    timePerChar: Mapped[int | None] = mapped_column(Integer, default=50)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)


class _Bot(_Behaviour):
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str | None] = mapped_column(String(255))
    triggerType: Mapped[str | None] = mapped_column(String(20))
    triggerOperator: Mapped[str | None] = mapped_column(String(20))
    triggerValue: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def instanceId(cls) -> Mapped[str]:
        return _instance_id()


class _Setting(_Behaviour):
    @declared_attr
    def instanceId(cls) -> Mapped[str]:
        return _instance_id(unique=True)


def _fallback(table: str) -> Mapped[str | None]:
    return mapped_column(String(100), ForeignKey(f"{table}.id", ondelete="SET NULL"))


class EvolutionBot(_Bot, Base):
    __tablename__ = "EvolutionBot"
    apiUrl: Mapped[str | None] = mapped_column(String(255))
    apiKey: Mapped[str | None] = mapped_column(String(255))


class EvolutionBotSetting(_Setting, Base):
    __tablename__ = "EvolutionBotSetting"
    botIdFallback: Mapped[str | None] = _fallback("EvolutionBot")


class Typebot(_Bot, Base):
    __tablename__ = "Typebot"
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    typebot: Mapped[str] = mapped_column(String(100), nullable=False)


class TypebotSetting(_Setting, Base):
    __tablename__ = "TypebotSetting"
    typebotIdFallback: Mapped[str | None] = _fallback("Typebot")


class OpenaiCreds(Base):
    __tablename__ = "OpenaiCreds"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(255), unique=True)
    apiKey: Mapped[str | None] = mapped_column(String(255), unique=True)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = _instance_id()


class OpenaiBot(_Bot, Base):
    __tablename__ = "OpenaiBot"
    botType: Mapped[str] = mapped_column(String(20), nullable=False)
    assistantId: Mapped[str | None] = mapped_column(String(255))
    functionUrl: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(String(100))
    systemMessages: Mapped[Any | None] = mapped_column(JsonType)
    assistantMessages: Mapped[Any | None] = mapped_column(JsonType)
    userMessages: Mapped[Any | None] = mapped_column(JsonType)
    maxTokens: Mapped[int | None] = mapped_column(Integer)
    openaiCredsId: Mapped[str] = mapped_column(
        ID, ForeignKey("OpenaiCreds.id", ondelete="CASCADE"), nullable=False, index=True
    )


class OpenaiSetting(_Setting, Base):
    __tablename__ = "OpenaiSetting"
    speechToText: Mapped[bool | None] = mapped_column(Boolean, default=False)
    openaiCredsId: Mapped[str | None] = mapped_column(ID, ForeignKey("OpenaiCreds.id", ondelete="SET NULL"))
    openaiIdFallback: Mapped[str | None] = _fallback("OpenaiBot")


class Dify(_Bot, Base):
    __tablename__ = "Dify"
    botType: Mapped[str] = mapped_column(String(20), nullable=False)
    apiUrl: Mapped[str | None] = mapped_column(String(255))
    apiKey: Mapped[str | None] = mapped_column(String(255))


class DifySetting(_Setting, Base):
    __tablename__ = "DifySetting"
    difyIdFallback: Mapped[str | None] = _fallback("Dify")


class Flowise(_Bot, Base):
    __tablename__ = "Flowise"
    apiUrl: Mapped[str | None] = mapped_column(String(255))
    apiKey: Mapped[str | None] = mapped_column(String(255))


class FlowiseSetting(_Setting, Base):
    __tablename__ = "FlowiseSetting"
    flowiseIdFallback: Mapped[str | None] = _fallback("Flowise")


class N8n(_Bot, Base):
    __tablename__ = "N8n"
    webhookUrl: Mapped[str | None] = mapped_column(String(255))
    basicAuthUser: Mapped[str | None] = mapped_column(String(255))
    basicAuthPass: Mapped[str | None] = mapped_column(String(255))


class N8nSetting(_Setting, Base):
    __tablename__ = "N8nSetting"
    n8nIdFallback: Mapped[str | None] = _fallback("N8n")


class Evoai(_Bot, Base):
    __tablename__ = "Evoai"
    agentUrl: Mapped[str | None] = mapped_column(String(255))
    apiKey: Mapped[str | None] = mapped_column(String(255))


class EvoaiSetting(_Setting, Base):
    __tablename__ = "EvoaiSetting"
    evoaiIdFallback: Mapped[str | None] = _fallback("Evoai")


class IntegrationSession(Base):
    __tablename__ = "IntegrationSession"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    sessionId: Mapped[str] = mapped_column(String(255), nullable=False)
    remoteJid: Mapped[str] = mapped_column(String(100), nullable=False)
    pushName: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # opened / closed / paused
    awaitUser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    context: Mapped[Any | None] = mapped_column(JsonType)
    type: Mapped[str | None] = mapped_column(String(100))
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)
    instanceId: Mapped[str] = mapped_column(ID, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)
    parameters: Mapped[Any | None] = mapped_column(JsonType)
    botId: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("IntegrationSession_instanceId_remoteJid_idx", "instanceId", "remoteJid"),)


class ChatbotTurn(Base):
    """One inbound message a bot kind took on (ours, not upstream's). A redelivered event finds its
    row and is not answered again; the bot's replies are kept here before they are sent, with how many
    went out, so a restart resumes sending instead of asking the bot again; a debounced message
    waits here (`pending`) until its conversation goes quiet."""

    __tablename__ = "ChatbotTurn"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    instanceId: Mapped[str] = mapped_column(ID, ForeignKey("Instance.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    messageId: Mapped[str] = mapped_column(String(255), nullable=False)
    remoteJid: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # pending / joined / taken / answering / done
    message: Mapped[Any | None] = mapped_column(JsonType)  # the inbound messages.upsert data
    replies: Mapped[Any | None] = mapped_column(JsonType)
    sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    createdAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow)
    updatedAt: Mapped[datetime | None] = mapped_column(Stamp, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("instanceId", "kind", "messageId", name="ChatbotTurn_instanceId_kind_messageId_key"),
        Index("ChatbotTurn_status_idx", "status"),
    )


BOT_TABLES = (EvolutionBot, Typebot, OpenaiBot, Dify, Flowise, N8n, Evoai)
