"""Request and response bodies of the instance, settings and proxy routes (Evolution API v2)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class WebhookBlock(msgspec.Struct, kw_only=True):
    url: str | None = None
    enabled: bool | None = None
    events: list[str] | None = None
    headers: dict[str, Any] | None = None
    byEvents: bool | None = None
    base64: bool | None = None


class EventsBlock(msgspec.Struct, kw_only=True):
    enabled: bool | None = None
    events: list[str] | None = None


class PusherBlock(msgspec.Struct, kw_only=True):
    """The `pusher` block of `/instance/create` and `/pusher/set` (app credentials and events)."""

    enabled: bool | None = None
    appId: str | None = None
    key: str | None = None
    secret: str | None = None
    cluster: str | None = None
    useTLS: bool | None = None
    events: list[str] | None = None


class CreateInstanceRequest(msgspec.Struct, kw_only=True):
    instanceName: str | None = None
    integration: str | None = None
    token: str | None = None
    number: str | None = None
    businessId: str | None = None
    qrcode: bool | None = None
    rejectCall: bool | None = None
    msgCall: str | None = None
    groupsIgnore: bool | None = None
    alwaysOnline: bool | None = None
    readMessages: bool | None = None
    readStatus: bool | None = None
    syncFullHistory: bool | None = None
    wavoipToken: str | None = None
    proxyHost: str | None = None
    proxyPort: str | int | None = None
    proxyProtocol: str | None = None
    proxyUsername: str | None = None
    proxyPassword: str | None = None
    webhook: WebhookBlock | None = None
    websocket: EventsBlock | None = None
    rabbitmq: EventsBlock | None = None
    nats: EventsBlock | None = None
    sqs: EventsBlock | None = None
    pusher: PusherBlock | None = None
    kafka: EventsBlock | None = None
    chatwootAccountId: str | None = None
    chatwootToken: str | None = None
    chatwootUrl: str | None = None
    chatwootSignMsg: bool | None = None
    chatwootReopenConversation: bool | None = None
    chatwootConversationPending: bool | None = None
    chatwootNameInbox: str | None = None
    chatwootMergeBrazilContacts: bool | None = None
    chatwootImportContacts: bool | None = None
    chatwootImportMessages: bool | None = None
    chatwootDaysLimitImportMessages: int | float | None = None
    chatwootOrganization: str | None = None
    chatwootLogo: str | None = None
    chatwootAutoCreate: bool | None = None


class SettingsRequest(msgspec.Struct, kw_only=True):
    rejectCall: bool
    groupsIgnore: bool
    alwaysOnline: bool
    readMessages: bool
    readStatus: bool
    syncFullHistory: bool
    msgCall: str | None = None
    wavoipToken: str | None = None


class ProxyRequest(msgspec.Struct, kw_only=True):
    enabled: bool
    host: str
    port: str | int
    protocol: str
    username: str | None = None
    password: str | None = None


Presence = Literal["unavailable", "available", "composing", "recording", "paused"]


class PresenceRequest(msgspec.Struct, kw_only=True):
    presence: Presence


class ConnectionStateBody(msgspec.Struct, omit_defaults=True):
    instanceName: str
    state: str | None = None


class ConnectionStateResponse(msgspec.Struct):
    instance: ConnectionStateBody


class StatusResponse(msgspec.Struct):
    status: str
    error: bool
    response: dict[str, Any]
