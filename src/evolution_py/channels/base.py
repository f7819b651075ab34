"""The one Channel protocol every integration implements, and what a channel may see of its instance.

Controllers and the instance manager talk to channels only through `Channel`; a channel talks back
only through `InstanceContext` (emit events, store messages, persist its own state). Nothing here
imports neonize or HTTP frameworks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

import msgspec

from evolution_py.channels.capabilities import (
    BaileysInternals,
    Business,
    Calls,
    ChannelError,
    Chats,
    Groups,
    InboundWebhook,
    Labels,
    Media,
    Messaging,
    MethodNotAvailable,
    NotAvailable,
    Profile,
    Templates,
)

if TYPE_CHECKING:
    from evolution_py.cache import Cache
    from evolution_py.outbound import OutboundClient
    from evolution_py.store.messages import MessageStore

ConnectionState = Literal["open", "connecting", "close"]


class QrCode(msgspec.Struct):
    """The connect answer: fields not known yet (UNSET) are left out, as upstream does; `count` always shows."""

    pairingCode: str | msgspec.UnsetType | None = msgspec.UNSET
    code: str | msgspec.UnsetType = msgspec.UNSET
    base64: str | msgspec.UnsetType = msgspec.UNSET
    count: int = 0


class InstanceSettings(msgspec.Struct, kw_only=True):
    rejectCall: bool = False
    msgCall: str = ""
    groupsIgnore: bool = False
    alwaysOnline: bool = False
    readMessages: bool = False
    readStatus: bool = False
    syncFullHistory: bool = False
    wavoipToken: str = ""


class ProxyConfig(msgspec.Struct, kw_only=True):
    enabled: bool = False
    host: str = ""
    port: str = ""
    protocol: str = ""
    username: str = ""
    password: str = ""

    def url(self) -> str | None:
        """`protocol://user:pass@host:port`, or None when the proxy is off or incomplete."""
        if not (self.enabled and self.host and self.port and self.protocol):
            return None
        auth = f"{self.username}:{self.password}@" if self.username else ""
        return f"{self.protocol}://{auth}{self.host}:{self.port}"


class InstanceContext(Protocol):
    """What a channel may see and do of the instance that owns it."""

    @property
    def instance_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def number(self) -> str | None: ...

    @property
    def token(self) -> str | None: ...

    @property
    def settings(self) -> InstanceSettings: ...

    @property
    def proxy(self) -> ProxyConfig: ...

    @property
    def store(self) -> MessageStore: ...

    @property
    def data_dir(self) -> str: ...

    @property
    def outbound(self) -> OutboundClient:
        """The guarded HTTP client for every URL a tenant gives (media URLs, pictures)."""
        ...

    @property
    def cache(self) -> Cache | None:
        """Upstream's cache (CACHE_REDIS_* / CACHE_LOCAL_*), None when neither is on."""
        ...

    async def emit(self, event: str, data: Any, *, stores_message: bool = False) -> None:
        """Publish an event of this instance on the bus (`stores_message`: `data` is a message
        record, stored with the event, in the same commit round when the outbox writer runs)."""

    async def emit_all(self, events: list[tuple[str, Any]]) -> None:
        """Publish several events of this instance, in order, in one commit round."""

    async def record_sent(self, record: dict[str, Any]) -> None:
        """Store a message the channel sent and emit it as `send.message` (sends made as a side effect
        of another operation, e.g. group invites; `/message/*` sends reach it through MessagingService)."""

    async def update_connection(
        self,
        state: ConnectionState,
        *,
        owner_jid: str | None = None,
        profile_name: str | None = None,
        profile_pic_url: str | None = None,
        reason_code: int | None = None,
        reason: Any = None,
    ) -> None:
        """Persist the connection state (and owner fields) of the instance."""

    async def log(self, level: str, message: str, **metadata: Any) -> None:
        """Append to the instance's own log (`GET /instance/logs/...`); level DEBUG, INFO, WARN or ERROR."""
        return None


class Lifecycle(Protocol):
    """Connection lifecycle: what the instance service asks of every channel."""

    integration: str

    @property
    def state(self) -> ConnectionState: ...

    @property
    def owner_jid(self) -> str | None: ...

    @property
    def qrcode(self) -> QrCode: ...

    async def start(self) -> None:
        """Called once when the instance is loaded: resume a stored session if there is one."""

    async def connect(self, number: str | None = None) -> QrCode | None:
        """Start connecting (QR, or pairing code for `number`); return the QR known by now."""

    async def logout(self) -> None: ...

    async def close(self) -> None:
        """Stop network activity, keep the session (server shutdown)."""

    async def restart(self) -> None: ...

    async def delete_session(self) -> None:
        """Forget the stored session (instance deleted)."""


class Channel(Lifecycle, Protocol):
    """Everything a route may ask of a channel: its lifecycle, and one object per capability
    (`channel.groups.group_create(...)`). What a channel cannot do answers "Method not available"."""

    label: str

    @property
    def messaging(self) -> Messaging: ...

    @property
    def media(self) -> Media: ...

    @property
    def chats(self) -> Chats: ...

    @property
    def profile(self) -> Profile: ...

    @property
    def groups(self) -> Groups: ...

    @property
    def labels(self) -> Labels: ...

    @property
    def calls(self) -> Calls: ...

    @property
    def business(self) -> Business: ...

    @property
    def templates(self) -> Templates: ...

    @property
    def inbound(self) -> InboundWebhook: ...

    @property
    def baileys(self) -> BaileysInternals: ...


class BaseChannel:
    """Lifecycle defaults, and every capability "not available" until the channel sets its own."""

    integration = ""
    label = "this channel"

    def __init__(self, ctx: InstanceContext) -> None:
        self.ctx = ctx
        self._qrcode = QrCode()
        none = NotAvailable(self.label)
        self.messaging: Messaging = none
        self.media: Media = none
        self.chats: Chats = none
        self.profile: Profile = none
        self.groups: Groups = none
        self.labels: Labels = none
        self.calls: Calls = none
        self.business: Business = none
        self.templates: Templates = none
        self.inbound: InboundWebhook = none
        self.baileys: BaileysInternals = none

    @property
    def state(self) -> ConnectionState:
        return "open"

    @property
    def owner_jid(self) -> str | None:
        return None

    @property
    def qrcode(self) -> QrCode:
        return self._qrcode

    async def start(self) -> None:
        return None

    async def connect(self, number: str | None = None) -> QrCode | None:
        return None

    async def logout(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def restart(self) -> None:
        return None

    async def delete_session(self) -> None:
        return None


__all__ = [
    "BaseChannel",
    "Channel",
    "ChannelError",
    "ConnectionState",
    "InstanceContext",
    "InstanceSettings",
    "Lifecycle",
    "MethodNotAvailable",
    "ProxyConfig",
    "QrCode",
]
