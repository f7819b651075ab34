"""The instance manager: the registry of loaded instances and their whole lifecycle.

Every route that changes an instance goes through here, so the v2 and Go dialects (and the
integrations) share one behaviour.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import msgspec
from sqlalchemy import delete, func, select

from evolution_py.channels.base import InstanceSettings, ProxyConfig, QrCode
from evolution_py.channels.registry import ChannelKinds
from evolution_py.config import Settings
from evolution_py.dto.instance import CreateInstanceRequest, ProxyRequest, SettingsRequest
from evolution_py.errors import ApiError, BadRequest, Forbidden, NotFound, instance_not_found
from evolution_py.events import names
from evolution_py.events.bus import EventBus
from evolution_py.events.subscriptions import Subscriptions, save_sink_row
from evolution_py.instances.logbook import InstanceLogbook
from evolution_py.instances.registry import InstanceRegistry
from evolution_py.instances.runtime import RuntimeInstance
from evolution_py.sinks.registry import fetch_tables, sink_rows_from_create
from evolution_py.store.db import Database
from evolution_py.store.messages import row_dict
from evolution_py.store.models import (
    Chat,
    Chatwoot,
    Contact,
    Instance,
    Message,
    Proxy,
    Setting,
    utcnow,
)

log = logging.getLogger(__name__)


def _settings_from_row(row: Setting | None) -> InstanceSettings:
    if row is None:
        return InstanceSettings()
    return InstanceSettings(
        rejectCall=bool(row.rejectCall),
        msgCall=row.msgCall or "",
        groupsIgnore=bool(row.groupsIgnore),
        alwaysOnline=bool(row.alwaysOnline),
        readMessages=bool(row.readMessages),
        readStatus=bool(row.readStatus),
        syncFullHistory=bool(row.syncFullHistory),
        wavoipToken=row.wavoipToken or "",
    )


def _proxy_from_row(row: Proxy | None) -> ProxyConfig:
    if row is None:
        return ProxyConfig()
    return ProxyConfig(
        enabled=row.enabled,
        host=row.host,
        port=row.port,
        protocol=row.protocol,
        username=row.username,
        password=row.password,
    )


class InstanceManager:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        bus: EventBus,
        kinds: ChannelKinds,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.kinds = kinds
        self.subscriptions = subscriptions or Subscriptions(db)
        self.logbook = InstanceLogbook(db, settings)
        self.instances: InstanceRegistry = InstanceRegistry()
        self._create_lock = asyncio.Lock()
        self._auto_delete: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()

    # --- registry -----------------------------------------------------------------------------

    def get(self, name: str) -> RuntimeInstance | None:
        return self.instances.get(name)

    def require(self, name: str) -> RuntimeInstance:
        instance = self.instances.get(name)
        if instance is None:
            raise instance_not_found(name)
        return instance

    def resolve(self, name_or_id: str) -> RuntimeInstance | None:
        """The instance with this name, else the one with this id (Go routes take either)."""
        runtime = self.instances.get(name_or_id)
        if runtime is not None:
            return runtime
        return next((i for i in self.instances.values() if i.id == name_or_id), None)

    async def exists(self, name: str) -> bool:
        if name in self.instances:
            return True
        async with self.db.session() as session:
            found = await session.execute(select(Instance.id).where(Instance.name == name))
            return found.first() is not None

    def _build(self, row: Instance, setting: Setting | None, proxy: Proxy | None) -> RuntimeInstance:
        runtime = RuntimeInstance(self, row, _settings_from_row(setting), _proxy_from_row(proxy))
        channel = self.kinds.build(runtime.integration, runtime, self.settings)
        if channel is None:
            raise BadRequest("Invalid integration")
        runtime.channel = channel
        return runtime

    async def load_all(self) -> None:
        """Load every stored instance of this client; channels resume their sessions in the background."""
        async with self.db.session() as session:
            rows = (
                (await session.execute(select(Instance).where(Instance.clientName == self.settings.client_name)))
                .scalars()
                .all()
            )
            settings = {s.instanceId: s for s in (await session.execute(select(Setting))).scalars()}
            proxies = {p.instanceId: p for p in (await session.execute(select(Proxy))).scalars()}
        for row in rows:
            try:
                self.instances[row.name] = self._build(row, settings.get(row.id), proxies.get(row.id))
            except Exception:
                log.exception("instance %s: could not be loaded", row.name)
        for index, runtime in enumerate(list(self.instances.values())):
            # Staggered so a server with many sessions does not dial them all in the same instant.
            self._spawn(self._start_channel(runtime, delay=min(index * 0.05, 30.0)))

    async def _start_channel(self, runtime: RuntimeInstance, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await runtime.channel.start()
        except Exception as exc:
            log.exception("instance %s: channel start failed", runtime.name)
            await runtime.log("ERROR", "Channel start failed", error=str(exc))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def shutdown(self) -> None:
        for task in list(self._auto_delete.values()) + list(self._background):
            task.cancel()
        closes = [self._close_quietly(runtime) for runtime in self.instances.values()]
        await asyncio.gather(*closes)

    async def _close_quietly(self, runtime: RuntimeInstance) -> None:
        try:
            # A stalled dial must not hold up shutdown (neonize blocks for its whole dial timeout).
            await asyncio.wait_for(runtime.channel.close(), timeout=5)
        except Exception:
            log.warning("instance %s: channel did not close cleanly", runtime.name)

    # --- create -------------------------------------------------------------------------------

    async def check_name_free(self, name: str | None) -> None:
        if name and await self.exists(name):
            raise Forbidden(f'This name "{name}" is already in use.')

    async def create(self, req: CreateInstanceRequest) -> dict[str, Any]:
        name = req.instanceName
        if name is None or not name.strip():
            raise BadRequest('instance requires property "instanceName"')
        if "/" in name or len(name) > 255:
            raise BadRequest("instanceName must be at most 255 characters and cannot contain '/'")
        integration = req.integration or ""
        kind = self.kinds.get(integration)
        if kind is None:
            raise BadRequest("Invalid integration")
        if problem := kind.create_problem(token=req.token, number=req.number):
            raise BadRequest(problem)
        if req.chatwootAccountId and req.chatwootToken and req.chatwootUrl:
            raise BadRequest("Chatwoot is not enabled")

        instance_id = str(uuid.uuid4())
        token = req.token or str(uuid.uuid4()).upper()
        settings = InstanceSettings(
            rejectCall=req.rejectCall is True,
            msgCall=req.msgCall or "",
            groupsIgnore=req.groupsIgnore is True,
            alwaysOnline=req.alwaysOnline is True,
            readMessages=req.readMessages is True,
            readStatus=req.readStatus is True,
            syncFullHistory=req.syncFullHistory is True,
            wavoipToken=req.wavoipToken or "",
        )
        proxy = ProxyConfig()
        if req.proxyHost and req.proxyPort and req.proxyProtocol:
            proxy = ProxyConfig(
                enabled=True,
                host=req.proxyHost,
                port=str(req.proxyPort),
                protocol=req.proxyProtocol,
                username=req.proxyUsername or "",
                password=req.proxyPassword or "",
            )
        sinks = sink_rows_from_create(self.settings, req)
        if (
            req.webhook is not None
            and req.webhook.url
            and self.settings.env.flag("WEBHOOK_BLOCK_PRIVATE_NETWORKS", False)
        ):
            from evolution_py.sinks.webhook.guard import private_destination

            reason = await private_destination(req.webhook.url)
            if reason:
                raise BadRequest(reason)

        runtime = await self.create_record(
            name=name,
            integration=integration,
            token=token,
            instance_id=instance_id,
            settings=settings,
            proxy=proxy,
            sinks=sinks,
            number=req.number,
            business_id=req.businessId,
        )

        response: dict[str, Any] = {
            "instance": {
                "instanceName": name,
                "instanceId": instance_id,
                "integration": integration,
                "webhookWaBusiness": f"{self.settings.server_url}/webhook/meta" if kind.meta_webhook else None,
                "accessTokenWaBusiness": (
                    self.settings.env.text("WA_BUSINESS_TOKEN_WEBHOOK", "evolution") if kind.meta_webhook else ""
                ),
                "status": runtime.channel.state,
            },
            "hash": token,
            "webhook": _drop_none(
                {
                    "webhookUrl": req.webhook.url,
                    "webhookHeaders": req.webhook.headers,
                    "webhookByEvents": req.webhook.byEvents,
                    "webhookBase64": req.webhook.base64,
                }
            )
            if req.webhook
            else {},
            "websocket": _drop_none({"enabled": req.websocket.enabled}) if req.websocket else {},
            "rabbitmq": _drop_none({"enabled": req.rabbitmq.enabled}) if req.rabbitmq else {},
            "nats": _drop_none({"enabled": req.nats.enabled}) if req.nats else {},
            "sqs": _drop_none({"enabled": req.sqs.enabled}) if req.sqs else {},
            "settings": msgspec_to_dict(settings),
        }
        if req.qrcode and kind.qrcode_on_create:
            qr = await self.connect_and_wait(runtime, req.number, wait=5.0)
            response["qrcode"] = msgspec_to_dict(qr)
            response["instance"]["status"] = runtime.channel.state
        return response

    async def create_record(
        self,
        *,
        name: str,
        integration: str,
        token: str,
        instance_id: str,
        settings: InstanceSettings,
        proxy: ProxyConfig,
        sinks: dict[str, dict[str, Any]],
        number: str | None = None,
        business_id: str | None = None,
        unique_token: bool = False,
    ) -> RuntimeInstance:
        """Store and load an instance from already-validated values (both dialects' create ends here).
        `unique_token`: refuse a token another instance holds (token-only routes need it unique)."""
        kind = self.kinds.get(integration)
        if kind is None or not self.kinds.serves(integration):
            raise BadRequest("Invalid integration")
        async with self._create_lock:
            await self.check_name_free(name)
            if unique_token and (self.instances.find_by_token(token) or self.resolve(instance_id) is not None):
                raise ApiError("token or instanceId already in use", status=409)
            row = Instance(
                id=instance_id,
                name=name,
                connectionStatus=kind.initial_status,
                integration=integration,
                number=number,
                businessId=business_id,
                token=token,
                clientName=self.settings.client_name,
            )
            # One transaction: an instance exists with all its rows, or not at all.
            async with self.db.transaction() as session:
                session.add(row)
                await session.flush()
                setting_row = Setting(instanceId=instance_id, **msgspec_to_dict(settings))
                session.add(setting_row)
                proxy_row = None
                if proxy.enabled:
                    proxy_row = Proxy(instanceId=instance_id, **msgspec_to_dict(proxy))
                    session.add(proxy_row)
                for sink_name, values in sinks.items():
                    await save_sink_row(session, sink_name, instance_id, values)
            self.subscriptions.forget(instance_id)
            runtime = self._build(row, setting_row, proxy_row)
            self.instances[name] = runtime

        self._schedule_auto_delete(name)
        await runtime.log("INFO", "Instance created", integration=integration)
        await runtime.emit(names.INSTANCE_CREATE, {"instanceName": name, "instanceId": instance_id})
        return runtime

    def _schedule_auto_delete(self, name: str) -> None:
        minutes = self.settings.del_instance_minutes
        if not minutes:
            return

        async def expire() -> None:
            await asyncio.sleep(minutes * 60)
            runtime = self.instances.get(name)
            if runtime is not None and runtime.channel.state != "open":
                log.info("instance %s: not connected after %s minutes, deleting (DEL_INSTANCE)", name, minutes)
                await self.delete(name)

        self._auto_delete[name] = asyncio.create_task(expire())

    # --- connection ---------------------------------------------------------------------------

    async def connect_and_wait(self, runtime: RuntimeInstance, number: str | None, wait: float) -> QrCode:
        await runtime.channel.connect(number)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            qr = runtime.channel.qrcode
            if runtime.channel.state != "connecting" or qr.count > 0 or isinstance(qr.pairingCode, str):
                break
            await asyncio.sleep(0.05)
        return runtime.channel.qrcode

    async def connect(self, name: str, number: str | None) -> dict[str, Any]:
        runtime = self.require(name)
        state = runtime.channel.state
        if state == "open":
            return {"instance": {"instanceName": name, "state": "open"}}
        if state == "connecting":
            return msgspec_to_dict(runtime.channel.qrcode)
        await runtime.log("INFO", "Connect requested", number=number)
        qr = await self.connect_and_wait(runtime, number, wait=2.0)
        if runtime.channel.state == "open":
            return {"instance": {"instanceName": name, "state": "open"}}
        return msgspec_to_dict(qr)

    async def restart(self, name: str) -> dict[str, Any]:
        runtime = self.require(name)
        if runtime.channel.state == "close":
            return {"error": True, "message": f'The "{name}" instance is not connected'}
        await runtime.log("INFO", "Restart requested")
        await runtime.channel.restart()
        if runtime.channel.state == "open":
            return {"instance": {"instanceName": name, "state": "open"}}
        return msgspec_to_dict(runtime.channel.qrcode)

    async def logout(self, name: str, *, closed_session_too: bool = False) -> None:
        """`closed_session_too`: also log out a session that is stored but not connected right now."""
        runtime = self.require(name)
        if runtime.channel.state == "close" and not (closed_session_too and runtime.channel.owner_jid):
            raise BadRequest(f'The "{name}" instance is not connected')
        await runtime.log("INFO", "Logout requested")
        await runtime.channel.logout()

    async def disconnect(self, name: str) -> None:
        """Drop the connection but keep the session (a later connect resumes without a QR)."""
        runtime = self.require(name)
        await runtime.log("INFO", "Disconnect requested")
        await runtime.channel.close()

    async def reconnect(self, name: str, *, wait: float = 0.0) -> RuntimeInstance:
        """Tear the connection down and bring it up again (resuming the stored session, or a new QR)."""
        runtime = self.require(name)
        await runtime.log("INFO", "Reconnect requested", state=runtime.channel.state)
        if runtime.channel.state == "close":
            await self.connect_and_wait(runtime, None, wait=wait)
        else:
            await runtime.channel.restart()
        return runtime

    def reconnect_soon(self, name: str) -> None:
        """Reconnect in the background if the instance is (being) connected, e.g. so a new proxy applies."""
        runtime = self.instances.get(name)
        if runtime is not None and runtime.channel.state != "close":
            self._spawn(self._reconnect_quietly(name))

    async def _reconnect_quietly(self, name: str) -> None:
        try:
            await self.reconnect(name)
        except Exception as exc:
            log.exception("instance %s: reconnect failed", name)
            runtime = self.instances.get(name)
            if runtime is not None:
                await runtime.log("ERROR", "Reconnect failed", error=str(exc))

    async def request_pairing_code(self, name: str, number: str, wait: float) -> str | None:
        """Ask the channel for a pairing code for `number` (also while a QR flow runs); None if none came."""
        runtime = self.require(name)
        await runtime.log("INFO", "Pairing code requested", number=number)
        before = runtime.channel.qrcode.pairingCode
        await runtime.channel.connect(number)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            code = runtime.channel.qrcode.pairingCode
            if isinstance(code, str) and code and code != before:
                return code
            if runtime.channel.state == "open" or loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def delete(self, name: str) -> None:
        runtime = self.require(name)
        if runtime.channel.state in ("open", "connecting"):
            try:
                await runtime.channel.logout()
            except Exception:
                log.exception("instance %s: logout before delete failed", name)
        await runtime.emit(names.INSTANCE_DELETE, {"instanceName": name, "instanceId": runtime.id})
        await runtime.emit(names.REMOVE_INSTANCE, None)
        self.instances.pop(name, None)
        task = self._auto_delete.pop(name, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        try:
            await asyncio.wait_for(runtime.channel.close(), timeout=5)
        except Exception:
            log.warning("instance %s: channel did not close cleanly on delete", name)
        async with self.db.transaction() as session:
            # ON DELETE CASCADE removes every row that belongs to the instance.
            await session.execute(delete(Instance).where(Instance.id == runtime.id))
        self.subscriptions.forget(runtime.id)
        try:
            await runtime.channel.delete_session()
        except Exception:
            log.exception("instance %s: session files were not removed", name)

    # --- settings and proxy -------------------------------------------------------------------

    async def set_settings(self, name: str, req: SettingsRequest) -> dict[str, Any]:
        runtime = self.require(name)
        values = {k: v for k, v in msgspec_to_dict(req).items() if v is not None}
        async with self.db.transaction() as session:
            row = (await session.execute(select(Setting).where(Setting.instanceId == runtime.id))).scalars().first()
            if row is None:
                row = Setting(instanceId=runtime.id, **values)
                session.add(row)
            else:
                for field, value in values.items():
                    setattr(row, field, value)
                row.updatedAt = utcnow()
            await session.flush()
            runtime.settings = _settings_from_row(row)
        await runtime.log("INFO", "Settings updated", **values)
        return {"settings": {"instanceName": name, "settings": msgspec_to_dict(req, drop_none=True)}}

    async def find_settings(self, name: str) -> dict[str, Any] | None:
        runtime = self.require(name)
        async with self.db.session() as session:
            row = (await session.execute(select(Setting).where(Setting.instanceId == runtime.id))).scalars().first()
        if row is None:
            return None
        return msgspec_to_dict(_settings_from_row(row))

    async def set_proxy(self, name: str, req: ProxyRequest) -> dict[str, Any]:
        runtime = self.require(name)
        if req.enabled:
            if not req.host.strip():
                raise BadRequest('The "host" cannot be empty')
            if not str(req.port).strip():
                raise BadRequest('The "port" cannot be empty')
            if req.protocol not in ("http", "https", "socks4", "socks5"):
                raise BadRequest("protocol must be one of http, https, socks4, socks5")
            values = {
                "enabled": True,
                "host": req.host,
                "port": str(req.port),
                "protocol": req.protocol,
                "username": req.username or "",
                "password": req.password or "",
            }
        else:
            values = {"enabled": False, "host": "", "port": "", "protocol": "", "username": "", "password": ""}
        async with self.db.transaction() as session:
            row = (await session.execute(select(Proxy).where(Proxy.instanceId == runtime.id))).scalars().first()
            if row is None:
                session.add(Proxy(instanceId=runtime.id, **values))
            else:
                for field, value in values.items():
                    setattr(row, field, value)
                row.updatedAt = utcnow()
        runtime.proxy = msgspec.convert(values, ProxyConfig)
        await runtime.log(
            "INFO", "Proxy set" if values["enabled"] else "Proxy removed", host=values["host"], port=values["port"]
        )
        return {"proxy": {"instanceName": name, "proxy": values}}

    async def find_proxy(self, name: str) -> dict[str, Any] | None:
        runtime = self.require(name)
        async with self.db.session() as session:
            row = (await session.execute(select(Proxy).where(Proxy.instanceId == runtime.id))).scalars().first()
        return None if row is None else row_dict(row)

    # --- fetchInstances -----------------------------------------------------------------------

    async def fetch(
        self, *, token: str | None, name: str | None, instance_id: str | None, number: str | None
    ) -> list[dict[str, Any]]:
        """`token` is None for the global key, else the caller's instance token."""
        async with self.db.session() as session:
            query = select(Instance).where(Instance.clientName == self.settings.client_name)
            if token is not None:
                query = query.where(Instance.token == token)
                if name:
                    query = query.where(Instance.name == name)
                if instance_id:
                    query = query.where(Instance.id == instance_id)
            elif name:
                if name not in self.instances:
                    raise NotFound(f'Instance "{name}" not found')
                query = query.where(Instance.name == name)
            elif instance_id or number:
                query = (
                    query.where(Instance.id == instance_id) if instance_id else query.where(Instance.number == number)
                )
            rows = (await session.execute(query.order_by(Instance.createdAt, Instance.name))).scalars().all()
            if not rows and (instance_id or number) and token is None:
                raise NotFound(f'Instance "{instance_id or number}" not found')
            ids = [row.id for row in rows]
            related = await self._related(session, ids)
        out = []
        for row in rows:
            item = row_dict(row)
            runtime = self.instances.get(row.name)
            if runtime is not None:
                # The live state is the truth; the DB copy may lag by one write.
                item["connectionStatus"] = runtime.channel.state
            for key, table in related["tables"].items():
                item[key] = table.get(row.id)
            item["_count"] = {
                "Message": related["counts"]["Message"].get(row.id, 0),
                "Contact": related["counts"]["Contact"].get(row.id, 0),
                "Chat": related["counts"]["Chat"].get(row.id, 0),
            }
            out.append(item)
        return out

    async def _related(self, session: Any, ids: list[str]) -> dict[str, Any]:
        tables: dict[str, dict[str, Any]] = {}
        for key, model in (
            ("Chatwoot", Chatwoot),
            ("Proxy", Proxy),
            *fetch_tables(),
            ("Setting", Setting),
        ):
            rows = (
                (await session.execute(select(model).where(model.instanceId.in_(ids)))).scalars().all() if ids else []
            )
            tables[key] = {row.instanceId: row_dict(row) for row in rows}
        counts: dict[str, dict[str, int]] = {}
        counted: tuple[tuple[str, Any], ...] = (("Message", Message), ("Contact", Contact), ("Chat", Chat))
        for key, counted_model in counted:
            if not ids:
                counts[key] = {}
                continue
            result = await session.execute(
                select(counted_model.instanceId, func.count())
                .where(counted_model.instanceId.in_(ids))
                .group_by(counted_model.instanceId)
            )
            counts[key] = {instance_id: int(count) for instance_id, count in result.all()}
        return {"tables": tables, "counts": counts}


def msgspec_to_dict(value: Any, *, drop_none: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(value)
    if drop_none:
        out = {k: v for k, v in out.items() if v is not None}
    return out


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
