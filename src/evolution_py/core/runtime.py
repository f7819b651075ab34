"""One loaded instance: its stored fields, its channel, the context its channel sees, and the
background tasks (auto-delete timer, staggered start, reconnects) that concern it alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import update

from evolution_py.cache import Cache
from evolution_py.channels.base import Channel, ConnectionState, InstanceSettings, ProxyConfig
from evolution_py.config import Settings
from evolution_py.core.logbook import InstanceLogbook
from evolution_py.dto import drop_none
from evolution_py.events import names
from evolution_py.events.bus import EventBus
from evolution_py.events.event import Event
from evolution_py.events.subscriptions import Subscriptions
from evolution_py.outbound import OutboundClient
from evolution_py.store.db import Database, LeaseLost
from evolution_py.store.messages import MessageStore
from evolution_py.store.models import Instance, utcnow

log = logging.getLogger(__name__)


class MediaAttacher(Protocol):
    """Media storage (media_store/, S3_ENABLED): may add `message.mediaUrl` to a message event's data."""

    async def attach(self, instance: Any, event: str, data: Any) -> None: ...


@dataclass(frozen=True)
class RuntimeDeps:
    """What every instance runtime of this server shares."""

    settings: Settings
    db: Database
    bus: EventBus
    subscriptions: Subscriptions
    logbook: InstanceLogbook
    outbound: OutboundClient  # the guarded client the channels fetch tenant-given URLs with
    media: MediaAttacher | None = None
    cache: Cache | None = None  # CACHE_REDIS_* / CACHE_LOCAL_* (cache/): group metadata, instance lookups


class InstanceRuntime:
    """Implements `InstanceContext` for its channel."""

    channel: Channel

    def __init__(self, deps: RuntimeDeps, row: Instance, settings: InstanceSettings, proxy: ProxyConfig) -> None:
        self._deps = deps
        self._tasks: set[asyncio.Task[None]] = set()
        self.id = row.id
        self._name = row.name
        self._token = row.token
        self._number = row.number
        self.integration = row.integration or "WHATSAPP-BAILEYS"
        self.business_id = row.businessId
        self.owner_jid = row.ownerJid
        self.profile_name = row.profileName
        self.profile_pic_url = row.profilePicUrl
        self.connection_status = row.connectionStatus
        self.created_at = row.createdAt
        self._settings = settings
        self._proxy = proxy
        cfg = deps.settings
        self._store = MessageStore(
            deps.db,
            row.id,
            save_messages=cfg.save_new_message,
            save_contacts=cfg.save_contacts,
            save_chats=cfg.save_chats,
        )

    # --- tasks this instance owns -------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` in the background for as long as this instance is loaded."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._log_failure)
        return task

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        """A background task that ended on an error says so (the DEL_INSTANCE timer, a channel's
        start, a Chatwoot inbox's creation); before, the error was only seen, if at all, as
        asyncio's "exception was never retrieved" once the task was collected."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("instance %s: a background task failed: %s", self._name, type(exc).__name__, exc_info=exc)

    @property
    def background_tasks(self) -> tuple[asyncio.Task[None], ...]:
        return tuple(self._tasks)

    def cancel_tasks(self) -> None:
        """Stop every background task of this instance (it is being removed or the server stops).
        The task that calls this (e.g. the auto-delete timer deleting its instance) runs on."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    # --- InstanceContext ----------------------------------------------------------------------

    @property
    def instance_id(self) -> str:
        return self.id

    @property
    def cache(self) -> Cache | None:
        return self._deps.cache

    @property
    def name(self) -> str:
        return self._name

    @property
    def number(self) -> str | None:
        return self._number

    @property
    def token(self) -> str | None:
        return self._token

    @property
    def settings(self) -> InstanceSettings:
        return self._settings

    @settings.setter
    def settings(self, value: InstanceSettings) -> None:
        self._settings = value

    @property
    def proxy(self) -> ProxyConfig:
        return self._proxy

    @proxy.setter
    def proxy(self, value: ProxyConfig) -> None:
        self._proxy = value

    @property
    def store(self) -> MessageStore:
        return self._store

    @property
    def outbound(self) -> OutboundClient:
        return self._deps.outbound

    @property
    def data_dir(self) -> str:
        return self._deps.settings.data_dir

    async def webhook_base64(self) -> bool:
        """Whether this instance's webhook asks for media as base64 (`webhookBase64`)."""
        row = await self._deps.subscriptions.find("webhook", self.id)
        return bool(row and row.get("enabled") and row.get("webhookBase64"))

    async def record_sent(self, record: dict[str, Any]) -> None:
        """Every sent message ends here: stored first (a consumer of `send.message` that reads the
        store finds it, even while planning), then emitted. Two commit rounds, kept on purpose: one
        round for both (tried: `emit(..., stores_message=True)`) either starts the delivery before the
        row is readable or, held until the commit, makes every delivery insert and delete its
        outbox row (0.65 of the plain send against 0.71-0.75 this way, bench/RESULTS.md)."""
        await self._store.save_message(record)
        await self.emit(names.SEND_MESSAGE, record)

    async def emit(self, event: str, data: Any, *, stores_message: bool = False) -> None:
        """Publish an event of this instance. `stores_message`: `data` is a message record, stored
        with the event: in the outbox writer's same transaction when it runs (one commit round for
        both), else on its own first."""
        rows = None
        if stores_message:
            rows = self._store.rows_to_stage(data)
            if rows is None:
                await self._store.save_message(data)
        await self._publish([(event, data)], rows or None)

    async def emit_all(self, events: list[tuple[str, Any]]) -> None:
        """Several events of this instance, in order, accepted in one commit round."""
        await self._publish(events, None)

    async def _publish(self, events: list[tuple[str, Any]], messages: list[dict[str, Any]] | None) -> None:
        cfg = self._deps.settings
        apikey: str | None = None
        if cfg.expose_in_fetch_instances:
            apikey = self._token or "Apikey not found"
        built = []
        for event, data in events:
            if self._deps.media is not None:
                await self._deps.media.attach(self, event, data)
            built.append(
                Event(
                    event=event,
                    instance=self._name,
                    instance_id=self.id,
                    data=data,
                    sender=self.owner_jid,
                    server_url=cfg.server_url or None,
                    apikey=apikey,
                )
            )
        await self._deps.bus.publish_all(built, messages=messages)

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
        values: dict[str, Any] = {"connectionStatus": state, "updatedAt": utcnow()}
        self.connection_status = state
        if owner_jid is not None:
            self.owner_jid = values["ownerJid"] = owner_jid
        if profile_name is not None:
            self.profile_name = values["profileName"] = profile_name
        if profile_pic_url is not None:
            self.profile_pic_url = values["profilePicUrl"] = profile_pic_url
        if reason_code is not None:
            values["disconnectionReasonCode"] = reason_code
            values["disconnectionObject"] = reason
            values["disconnectionAt"] = utcnow()
        try:
            async with self._deps.db.transaction() as session:
                await self._deps.db.check_owner(session, self.id)
                await session.execute(update(Instance).where(Instance.id == self.id).values(**values))
        except LeaseLost:
            # a cluster node that lost this instance (paused past its lease): the new owner's state stands
            log.warning("instance %s: connection state %s not stored: no longer this node's", self._name, state)
        except Exception:
            log.exception("instance %s: could not store connection state %s", self._name, state)
        await self.log(
            *_connection_log_line(state, reason_code),
            **drop_none({"state": state, "ownerJid": owner_jid, "reasonCode": reason_code, "reason": _plain(reason)}),
        )

    async def log(self, level: str, message: str, **metadata: Any) -> None:
        await self._deps.logbook.write(self.id, level, message, metadata or None)


def _connection_log_line(state: ConnectionState, reason_code: int | None) -> tuple[str, str]:
    if state == "open":
        return "INFO", "Instance connected successfully"
    if state == "connecting":
        return "INFO", "Instance connecting"
    if reason_code is not None and reason_code not in (200, 401):
        return "WARN", f"Instance disconnected (reason {reason_code})"
    return "INFO", "Instance disconnected"


def _plain(value: Any) -> Any:
    """The JSON log column takes plain values only; anything else is stored as its text."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)
