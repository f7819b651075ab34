"""A stand-in for neonize's `NewAClient` for the WhatsApp Web features: it records every call with
its arguments (neonize's real protobuf types and enums) and answers what the test told it to, also
as real protobufs, so a test checks exactly what would reach whatsmeow and exactly what comes back.

`OpsChannel` composes the non-send features (chats, media reads, profile, groups, labels, calls,
business) over one real `Session` holding that client, with a real `MessageStore` on a throw-away
SQLite database; its attributes are the features' operations.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neonize.aioze.client import NewAClient
from neonize.proto.Neonize_pb2 import JID

from evolution_py.cache import Cache
from evolution_py.channels.base import InstanceSettings, ProxyConfig
from evolution_py.channels.capabilities import Messaging
from evolution_py.channels.whatsapp_web.business import BusinessFeature
from evolution_py.channels.whatsapp_web.calls import CallsFeature
from evolution_py.channels.whatsapp_web.chats import ChatsFeature
from evolution_py.channels.whatsapp_web.groups import GroupsFeature
from evolution_py.channels.whatsapp_web.labels import LabelsFeature
from evolution_py.channels.whatsapp_web.media import MediaFeature
from evolution_py.channels.whatsapp_web.profile import ProfileFeature
from evolution_py.channels.whatsapp_web.sender import Sender
from evolution_py.channels.whatsapp_web.session import Session
from evolution_py.outbound import OutboundClient
from evolution_py.store.db import Database
from evolution_py.store.messages import MessageStore
from evolution_py.store.models import Instance


@dataclass
class Call:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class FakeOpsClient:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.answers: dict[str, Any] = {}

    def answer(self, name: str, value: Any) -> None:
        """`value`: what the call returns; an exception instance is raised; a callable is called
        with the call's arguments and its result returned (awaited when it is awaitable)."""
        self.answers[name] = value

    def called(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        # Only methods the real client has, called with arguments its signature accepts.
        real = getattr(NewAClient, name, None)
        if real is None or not callable(real):
            raise AttributeError(f"neonize's NewAClient has no method {name!r}")
        signature = inspect.signature(real)

        async def method(*args: Any, **kwargs: Any) -> Any:
            signature.bind(self, *args, **kwargs)
            self.calls.append(Call(name, args, kwargs))
            value = self.answers.get(name)
            if isinstance(value, BaseException):
                raise value
            if callable(value) and not isinstance(value, type):
                result = value(*args, **kwargs)
                # an awaitable result is awaited: `lambda *_a: release.wait()` is a Go call that stalls
                return await result if inspect.isawaitable(result) else result
            return value

        return method


@dataclass
class FakeContext:
    """The InstanceContext the features see: real store, recorded events."""

    store: MessageStore
    instance_id: str
    name: str = "ops-test"
    number: str | None = None
    token: str | None = None
    settings: InstanceSettings = field(default_factory=InstanceSettings)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    data_dir: str = ""
    events: list[tuple[str, Any]] = field(default_factory=list)
    outbound: OutboundClient = field(
        default_factory=lambda: OutboundClient(block_private_networks=False, user_agent="ops-test")
    )
    cache: Cache | None = None  # no CACHE_* here: group metadata asked of the fake each time

    async def emit(self, event: str, data: Any, *, stores_message: bool = False) -> None:
        if stores_message and self.store is not None:
            await self.store.save_message(data)
        self.events.append((event, data))

    async def emit_all(self, events: list[tuple[str, Any]]) -> None:
        self.events.extend(events)

    async def record_sent(self, record: dict[str, Any]) -> None:
        await self.store.save_message(record)
        await self.emit("send.message", record)

    async def update_connection(self, state: str, **_fields: Any) -> None:
        return None

    async def log(self, level: str, message: str, **metadata: Any) -> None:
        return None


class OpsChannel:
    """The features of the WhatsApp Web channel over one session whose client is the fake."""

    def __init__(
        self,
        client: FakeOpsClient,
        ctx: FakeContext,
        *,
        owner: str | None = None,
        messaging: Messaging | None = None,
        call_timeout: float = 20.0,
    ) -> None:
        self.ctx = ctx
        self.session = Session(ctx, call_timeout=call_timeout)
        self.session.client = client
        self.session.state = "open"
        self.session.owner_jid = owner
        sender = Sender(self.session, ctx)
        self.features: list[Any] = [
            ChatsFeature(self.session, ctx, sender),
            MediaFeature(self.session, ctx, sender),
            ProfileFeature(self.session, ctx),
            GroupsFeature(self.session, ctx, messaging),
            LabelsFeature(self.session, ctx),
            CallsFeature(),
            BusinessFeature(self.session, ctx),
        ]

    @property
    def client(self) -> Any:
        return self.session.client

    @property
    def open(self) -> bool:
        return self.session.state == "open"

    @open.setter
    def open(self, value: bool) -> None:
        self.session.state = "open" if value else "close"

    @property
    def state(self) -> str:
        return self.session.state

    @state.setter
    def state(self, value: Any) -> None:
        self.session.state = value

    def __getattr__(self, name: str) -> Any:
        # each operation belongs to exactly one feature (one capability protocol each)
        for feature in self.__dict__.get("features", []):
            if name in vars(type(feature)):
                return getattr(feature, name)
        raise AttributeError(name)


@asynccontextmanager
async def ops_channel(
    tmp_path: Path,
    *,
    owner: str = "5511900000001@s.whatsapp.net",
    messaging: Messaging | None = None,
    call_timeout: float = 20.0,
) -> AsyncIterator[OpsChannel]:
    db = Database(f"sqlite+aiosqlite:///{(tmp_path / 'ops.db').as_posix()}")
    await db.migrate()
    instance_id = str(uuid.uuid4())
    async with db.transaction() as session:
        session.add(Instance(id=instance_id, name=f"ops-{instance_id[:8]}", integration="WHATSAPP-BAILEYS"))
    ctx = FakeContext(store=MessageStore(db, instance_id), instance_id=instance_id)
    try:
        yield OpsChannel(FakeOpsClient(), ctx, owner=owner, messaging=messaging, call_timeout=call_timeout)
    finally:
        await ctx.outbound.close()
        await db.dispose()


def jid(value: str) -> JID:
    user, _, server = value.partition("@")
    return JID(User=user, Server=server, Device=0, RawAgent=0, Integrator=0, IsEmpty=False)


Answer = Callable[..., Any]
