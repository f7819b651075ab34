"""The instance service: create, connect, restart, logout, delete, settings and proxy of instances.

Dialect-neutral: both HTTP dialects (api/instance.py for v2, api/go/ for Evolution Go) and the
integrations call it with validated values and turn its typed results into their own envelopes.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from sqlalchemy import delete, select

from evolution_py.channels.base import InstanceSettings, ProxyConfig, QrCode
from evolution_py.channels.registry import ChannelKinds
from evolution_py.core.identity import name_problem, unusable_key
from evolution_py.core.loader import RuntimeLoader, close_quietly, proxy_from_row, settings_from_row
from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.results import ConnectOutcome, Created, NewInstance, StoredProxy
from evolution_py.core.runtime import InstanceRuntime, RuntimeDeps
from evolution_py.dto.instance import SettingsRequest
from evolution_py.errors import ApiError, BadRequest, Forbidden
from evolution_py.events import names
from evolution_py.events.subscriptions import save_sink_row
from evolution_py.store.instance_rows import find_instance_row, upsert_instance_row
from evolution_py.store.models import Instance, Proxy, Setting

log = logging.getLogger(__name__)


class InstanceService:
    def __init__(self, deps: RuntimeDeps, kinds: ChannelKinds, registry: InstanceRegistry) -> None:
        self._deps = deps
        self.kinds = kinds
        self.registry = registry
        self.loader = RuntimeLoader(deps, kinds, registry)
        self._create_lock = asyncio.Lock()

    async def exists(self, name: str) -> bool:
        """Loaded here, or stored (an instance of another client name still takes the name)."""
        if name in self.registry:
            return True
        if unusable_key(name):
            return False  # no stored name has one; PostgreSQL would refuse the NUL in the query
        async with self._deps.db.session() as session:
            found = await session.execute(select(Instance.id).where(Instance.name == name))
            return found.first() is not None

    async def ensure_name_free(self, name: str | None) -> None:
        if name and await self.exists(name):
            raise Forbidden(f'This name "{name}" is already in use.')

    # --- create and delete --------------------------------------------------------------------

    async def create(self, new: NewInstance) -> Created:
        """Store and load an instance from values its dialect validated; both dialects' create ends here."""
        kind = self.kinds.get(new.integration)
        if kind is None or not self.kinds.serves(new.integration):
            raise BadRequest("Invalid integration")
        if problem := name_problem(new.name):
            raise BadRequest(problem.value)  # each dialect checks first, in its own words
        async with self._create_lock:
            await self.ensure_name_free(new.name)
            if new.unique_token and (self.registry.find_by_token(new.token) or self.registry.resolve(new.instance_id)):
                raise ApiError("token or instanceId already in use", status=409)
            runtime = await self._store_new(new, kind.initial_status)
            self.registry.add(runtime)
        self._schedule_auto_delete(runtime)
        await runtime.log("INFO", "Instance created", integration=new.integration)
        await runtime.emit(names.INSTANCE_CREATE, {"instanceName": new.name, "instanceId": new.instance_id})
        qrcode = None
        if new.connect and kind.qrcode_on_create:
            qrcode = await self._connect_and_wait(runtime, new.number, wait=5.0)
        return Created(runtime, kind, new.token, new.settings, runtime.channel.state, qrcode)

    async def _store_new(self, new: NewInstance, status: str) -> InstanceRuntime:
        row = Instance(
            id=new.instance_id,
            name=new.name,
            connectionStatus=status,
            integration=new.integration,
            number=new.number,
            businessId=new.business_id,
            token=new.token,
            clientName=self._deps.settings.client_name,
        )
        # One transaction: an instance exists with all its rows, or not at all.
        async with self._deps.db.transaction() as session:
            session.add(row)
            await session.flush()
            setting_row = Setting(instanceId=new.instance_id, **msgspec.to_builtins(new.settings))
            session.add(setting_row)
            proxy_row = None
            if new.proxy.enabled:
                proxy_row = Proxy(instanceId=new.instance_id, **msgspec.to_builtins(new.proxy))
                session.add(proxy_row)
            for sink_name, values in new.sinks.items():
                await save_sink_row(session, sink_name, new.instance_id, values)
        self._deps.subscriptions.forget(new.instance_id)
        return self.loader.build(row, setting_row, proxy_row)

    def _schedule_auto_delete(self, runtime: InstanceRuntime) -> None:
        """DEL_INSTANCE: an instance not connected within that many minutes is deleted (a timer the
        runtime owns, so deleting the instance earlier stops it)."""
        minutes = self._deps.settings.del_instance_minutes
        if not minutes:
            return

        async def expire() -> None:
            await asyncio.sleep(minutes * 60)
            if self.registry.get(runtime.name) is runtime and runtime.channel.state != "open":
                log.info("instance %s: not connected after %s minutes, deleting (DEL_INSTANCE)", runtime.name, minutes)
                await self.delete(runtime.name)

        runtime.spawn(expire())

    async def delete(self, name: str) -> None:
        runtime = self.registry.require(name)
        if runtime.channel.state in ("open", "connecting"):
            try:
                await runtime.channel.logout()
            except Exception:
                log.exception("instance %s: logout before delete failed", name)
        await runtime.emit(names.INSTANCE_DELETE, {"instanceName": name, "instanceId": runtime.id})
        await runtime.emit(names.REMOVE_INSTANCE, None)
        self.registry.remove(name)
        await close_quietly(runtime)
        async with self._deps.db.transaction() as session:
            # ON DELETE CASCADE removes every row that belongs to the instance.
            await session.execute(delete(Instance).where(Instance.id == runtime.id))
        self._deps.subscriptions.forget(runtime.id)
        try:
            await runtime.channel.delete_session()
        except Exception:
            log.exception("instance %s: session files were not removed", name)

    # --- connection ---------------------------------------------------------------------------

    async def start_connecting(self, name: str, number: str | None, wait: float) -> QrCode:
        """Connect and wait up to `wait` seconds for a QR, a pairing code or a state change."""
        return await self._connect_and_wait(self.registry.require(name), number, wait)

    async def _connect_and_wait(self, runtime: InstanceRuntime, number: str | None, wait: float) -> QrCode:
        await runtime.channel.connect(number)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            qr = runtime.channel.qrcode
            if runtime.channel.state != "connecting" or qr.count > 0 or isinstance(qr.pairingCode, str):
                break
            await asyncio.sleep(0.05)
        return runtime.channel.qrcode

    async def connect(self, name: str, number: str | None) -> ConnectOutcome:
        runtime = self.registry.require(name)
        state = runtime.channel.state
        if state == "open":
            return ConnectOutcome(is_open=True, qrcode=runtime.channel.qrcode)
        if state == "connecting":
            return ConnectOutcome(is_open=False, qrcode=runtime.channel.qrcode)
        await runtime.log("INFO", "Connect requested", number=number)
        qr = await self._connect_and_wait(runtime, number, wait=2.0)
        return ConnectOutcome(is_open=runtime.channel.state == "open", qrcode=qr)

    async def restart(self, name: str) -> ConnectOutcome:
        runtime = self.registry.require(name)
        if runtime.channel.state == "close":
            raise BadRequest(f'The "{name}" instance is not connected')
        await runtime.log("INFO", "Restart requested")
        await runtime.channel.restart()
        return ConnectOutcome(is_open=runtime.channel.state == "open", qrcode=runtime.channel.qrcode)

    async def logout(self, name: str, *, closed_session_too: bool = False) -> None:
        """`closed_session_too`: also log out a session that is stored but not connected right now."""
        runtime = self.registry.require(name)
        if runtime.channel.state == "close" and not (closed_session_too and runtime.channel.owner_jid):
            raise BadRequest(f'The "{name}" instance is not connected')
        await runtime.log("INFO", "Logout requested")
        await runtime.channel.logout()

    async def disconnect(self, name: str) -> None:
        """Drop the connection but keep the session (a later connect resumes without a QR)."""
        runtime = self.registry.require(name)
        await runtime.log("INFO", "Disconnect requested")
        await runtime.channel.close()

    async def reconnect(self, name: str, *, wait: float = 0.0) -> InstanceRuntime:
        """Tear the connection down and bring it up again (resuming the stored session, or a new QR)."""
        runtime = self.registry.require(name)
        await runtime.log("INFO", "Reconnect requested", state=runtime.channel.state)
        if runtime.channel.state == "close":
            await self._connect_and_wait(runtime, None, wait=wait)
        else:
            await runtime.channel.restart()
        return runtime

    def reconnect_soon(self, name: str) -> None:
        """Reconnect in the background if the instance is (being) connected, e.g. so a new proxy applies."""
        runtime = self.registry.get(name)
        if runtime is not None and runtime.channel.state != "close":
            runtime.spawn(self._reconnect_quietly(runtime))

    async def _reconnect_quietly(self, runtime: InstanceRuntime) -> None:
        try:
            await self.reconnect(runtime.name)
        except Exception as exc:
            log.exception("instance %s: reconnect failed", runtime.name)
            await runtime.log("ERROR", "Reconnect failed", error=str(exc))

    async def request_pairing_code(self, name: str, number: str, wait: float) -> str | None:
        """Ask the channel for a pairing code for `number` (also while a QR flow runs); None if none came."""
        runtime = self.registry.require(name)
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

    # --- settings and proxy -------------------------------------------------------------------

    async def set_settings(self, name: str, change: SettingsRequest) -> InstanceSettings:
        runtime = self.registry.require(name)
        values = {k: v for k, v in msgspec.to_builtins(change).items() if v is not None}
        async with self._deps.db.transaction() as session:
            row = await upsert_instance_row(session, Setting, runtime.id, values)
            runtime.settings = settings_from_row(row)
        await runtime.log("INFO", "Settings updated", **values)
        return runtime.settings

    async def find_settings(self, name: str) -> InstanceSettings | None:
        """The stored settings (None when the instance has no Setting row)."""
        runtime = self.registry.require(name)
        async with self._deps.db.session() as session:
            row = await find_instance_row(session, Setting, runtime.id)
        return None if row is None else settings_from_row(row)

    async def set_proxy(self, name: str, proxy: ProxyConfig) -> ProxyConfig:
        """Store `proxy` (validated by the dialect); a disabled one is stored with every field empty."""
        runtime = self.registry.require(name)
        if not proxy.enabled:
            proxy = ProxyConfig()
        values = msgspec.to_builtins(proxy)
        async with self._deps.db.transaction() as session:
            await upsert_instance_row(session, Proxy, runtime.id, values)
        runtime.proxy = proxy
        await runtime.log("INFO", "Proxy set" if proxy.enabled else "Proxy removed", host=proxy.host, port=proxy.port)
        return proxy

    async def find_proxy(self, name: str) -> StoredProxy | None:
        runtime = self.registry.require(name)
        async with self._deps.db.session() as session:
            row = await find_instance_row(session, Proxy, runtime.id)
        if row is None:
            return None
        return StoredProxy(row.id, proxy_from_row(row), row.createdAt, row.updatedAt, row.instanceId)
