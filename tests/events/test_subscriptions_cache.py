"""Sink rows are read through a cache; `rows_changed` is the one hook that invalidates it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from evolution_py.events.subscriptions import Subscriptions
from evolution_py.store.models import Websocket
from tests.support.server import RunningServer, unique


async def _row(subscriptions: Subscriptions, instance_id: str) -> dict[str, Any]:
    row = await subscriptions.find("websocket", instance_id)
    assert row is not None
    return row


async def test_rows_changed_is_the_one_invalidation_hook(server: RunningServer) -> None:
    name = unique("subs")
    created = await server.create_instance(name)
    instance_id = created["instance"]["instanceId"]
    subscriptions = server.services.subscriptions
    saved = await subscriptions.save("websocket", instance_id, {"enabled": True, "events": ["SEND_MESSAGE"]})
    assert (await subscriptions.find("websocket", instance_id)) == saved

    # A write that bypasses `save` is not seen until the hook runs...
    async with server.services.db.transaction() as session:
        await session.execute(update(Websocket).where(Websocket.instanceId == instance_id).values(events=[]))
    assert (await _row(subscriptions, instance_id))["events"] == ["SEND_MESSAGE"]
    subscriptions.rows_changed(instance_id)
    assert (await _row(subscriptions, instance_id))["events"] == []

    # ...and `forget` (the instance service's name) is the same hook.
    async with server.services.db.transaction() as session:
        await session.execute(update(Websocket).where(Websocket.instanceId == instance_id).values(enabled=False))
    subscriptions.forget(instance_id)
    assert (await _row(subscriptions, instance_id))["enabled"] is False
