"""Bringing instances to life on this node: a runtime from its stored rows, every stored instance at
start (their channels resume in the background), and every channel closed at stop."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select

from evolution_py.channels.base import InstanceSettings, ProxyConfig
from evolution_py.channels.registry import ChannelKinds
from evolution_py.core.registry import InstanceRegistry
from evolution_py.core.runtime import InstanceRuntime, RuntimeDeps
from evolution_py.errors import BadRequest
from evolution_py.store.models import Instance, Proxy, Setting

log = logging.getLogger(__name__)


def settings_from_row(row: Setting | None) -> InstanceSettings:
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


def proxy_from_row(row: Proxy | None) -> ProxyConfig:
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


class RuntimeLoader:
    def __init__(self, deps: RuntimeDeps, kinds: ChannelKinds, registry: InstanceRegistry) -> None:
        self.deps = deps
        self.kinds = kinds
        self.registry = registry

    def build(self, row: Instance, setting: Setting | None, proxy: Proxy | None) -> InstanceRuntime:
        runtime = InstanceRuntime(self.deps, row, settings_from_row(setting), proxy_from_row(proxy))
        channel = self.kinds.build(runtime.integration, runtime, self.deps.settings)
        if channel is None:
            raise BadRequest("Invalid integration")
        runtime.channel = channel
        return runtime

    async def load_all(self) -> None:
        """Load every stored instance of this client; channels resume their sessions in the background."""
        settings = self.deps.settings
        async with self.deps.db.session() as session:
            rows = (
                (await session.execute(select(Instance).where(Instance.clientName == settings.client_name)))
                .scalars()
                .all()
            )
            stored_settings = {s.instanceId: s for s in (await session.execute(select(Setting))).scalars()}
            proxies = {p.instanceId: p for p in (await session.execute(select(Proxy))).scalars()}
        for row in rows:
            try:
                self.registry.add(self.build(row, stored_settings.get(row.id), proxies.get(row.id)))
            except Exception:
                log.exception("instance %s: could not be loaded", row.name)
        for index, runtime in enumerate(self.registry.all()):
            # Staggered so a server with many sessions does not dial them all in the same instant.
            runtime.spawn(start_channel(runtime, delay=min(index * 0.05, 30.0)))

    async def shutdown(self) -> None:
        runtimes = self.registry.all()
        for runtime in runtimes:
            runtime.cancel_tasks()
        await asyncio.gather(*(close_quietly(runtime) for runtime in runtimes))


async def start_channel(runtime: InstanceRuntime, delay: float) -> None:
    """Start an instance's channel after `delay` (staggered starts); a failure is logged, never raised."""
    if delay:
        await asyncio.sleep(delay)
    try:
        await runtime.channel.start()
    except Exception as exc:
        log.exception("instance %s: channel start failed", runtime.name)
        await runtime.log("ERROR", "Channel start failed", error=str(exc))


async def close_quietly(runtime: InstanceRuntime) -> None:
    try:
        # A stalled dial must not hold up shutdown or delete (neonize blocks for its whole dial timeout).
        await asyncio.wait_for(runtime.channel.close(), timeout=5)
    except Exception:  # noqa: BLE001 - logged; shutdown and delete go on
        log.warning("instance %s: channel did not close cleanly", runtime.name)
