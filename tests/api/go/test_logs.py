"""`GET /instance/logs/:instanceId`: entries the instance service writes, the seed's filters, and retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from evolution_py.store.models import InstanceLog, utcnow
from tests.api.go.conftest import GoServer
from tests.support.databases import database_env
from tests.support.scripted_channel import scripted_factories
from tests.support.server import running_server


async def _logs(go: GoServer, key: str, **params: str | int) -> list[dict[str, object]]:
    response = await go.client.get(f"/instance/logs/{key}", params=params, headers=go.admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_lifecycle_is_logged_and_filterable(go: GoServer) -> None:
    inst = await go.create()
    name, h = inst["name"], {"apikey": inst["token"]}
    await go.client.post("/instance/connect", json={"subscribe": ["MESSAGE"]}, headers=h)
    await go.channel(name).scan()
    await go.client.post("/instance/disconnect", headers=h)
    await go.client.put(f"/instance/{name}/advanced-settings", json={"rejectCall": True}, headers=h)
    await go.channel(name).logout()
    failed = await go.client.post(f"/instance/forcereconnect/{name}", json={"number": "5511"}, headers=go.admin)
    assert failed.status_code == 500

    entries = await _logs(go, inst["id"])
    messages = [e["message"] for e in entries]
    # Newest first; every kind of entry the issue asks for is there.
    assert messages[0] == "Force reconnect failed: login required"
    assert messages[-1] == "Instance created"
    for expected in (
        "Webhook subscription updated",
        "Instance connecting",
        "Instance connected successfully",
        "Disconnect requested",
        "Instance disconnected",
        "Settings updated",
        "Force reconnect requested",
    ):
        assert expected in messages, expected
    first = entries[0]
    assert first["level"] == "ERROR"
    assert first["instanceId"] == inst["id"] and first["instance_id"] == inst["id"]
    assert first["metadata"] == {"number": "5511"}
    stamps = [str(e["timestamp"]) for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert all(s.endswith("Z") for s in stamps)
    # by name as well as by id
    assert [e["message"] for e in await _logs(go, name)] == messages

    errors = await _logs(go, name, level="ERROR")
    assert [e["message"] for e in errors] == ["Force reconnect failed: login required"]
    both = await _logs(go, name, level="error,warn")
    assert {e["level"] for e in both} <= {"ERROR", "WARN"} and len(both) >= 1
    newest_two = await _logs(go, name, limit=2)
    assert [e["message"] for e in newest_two] == messages[:2]

    today = datetime.now(UTC).date()
    assert len(await _logs(go, name, start_date=today.isoformat(), end_date=today.isoformat())) == len(entries)
    assert await _logs(go, name, start_date=(today + timedelta(days=1)).isoformat()) == []
    assert await _logs(go, name, end_date=(today - timedelta(days=1)).isoformat()) == []


async def test_log_query_errors(go: GoServer) -> None:
    inst = await go.create()
    path = f"/instance/logs/{inst['id']}"
    for params, message in (
        ({"level": "LOUD"}, "invalid log level: LOUD (use DEBUG, INFO, WARN, ERROR)"),
        ({"limit": "ten"}, "limit must be a positive integer"),
        ({"limit": "0"}, "limit must be a positive integer"),
        ({"start_date": "15/01/2025"}, "start_date must be a date as YYYY-MM-DD"),
        ({"end_date": "2025-13-01"}, "end_date must be a date as YYYY-MM-DD"),
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "start_date is after end_date"),
    ):
        response = await go.client.get(path, params=params, headers=go.admin)
        assert (response.status_code, response.json()) == (400, {"error": message}), params
    denied = await go.client.get(path, headers={"apikey": inst["token"]})
    assert (denied.status_code, denied.json()) == (401, {"error": "not authorized"})
    missing = await go.client.get("/instance/logs/nobody", headers=go.admin)
    assert (missing.status_code, missing.json()) == (404, {"error": "instance not found"})


async def test_retention_by_count_and_age(tmp_path: Path, db_kind: str) -> None:
    env = {"INSTANCE_LOG_MAX_ENTRIES": "5", "INSTANCE_LOG_MAX_DAYS": "2"}
    async with (
        database_env(db_kind, tmp_path) as db_env,
        running_server(tmp_path, {**db_env, **env}, factories=scripted_factories()) as srv,
    ):
        go = GoServer(srv)
        inst = await go.create()
        runtime = srv.services.registry.get(inst["name"])
        assert runtime is not None
        # An entry from 3 days ago (older than INSTANCE_LOG_MAX_DAYS) goes at the next write.
        async with srv.services.db.transaction() as session:
            session.add(
                InstanceLog(instanceId=inst["id"], timestamp=utcnow() - timedelta(days=3), level="INFO", message="old")
            )
        assert "old" in [e["message"] for e in await _logs(go, inst["id"])]
        for i in range(8):
            await runtime.log("INFO", f"entry {i}")
        entries = await _logs(go, inst["id"], limit=100)
        assert [e["message"] for e in entries] == [f"entry {i}" for i in (7, 6, 5, 4, 3)]

        # Deleting the instance deletes its log.
        await go.client.delete(f"/instance/delete/{inst['id']}", headers=go.admin)
        async with srv.services.db.session() as session:
            from sqlalchemy import func, select

            count = (await session.execute(select(func.count()).select_from(InstanceLog))).scalar()
        assert count == 0


async def test_channel_failures_on_go_routes_are_logged(go: GoServer) -> None:
    from evolution_py.channels.base import ChannelError

    inst = await go.create()
    go.channel(inst["name"]).fail_connect = ChannelError("websocket dial failed", status=500)
    response = await go.client.get("/instance/qr", headers={"apikey": inst["token"]})
    assert (response.status_code, response.json()) == (500, {"error": "websocket dial failed"})
    for _ in range(100):  # the log write runs as a task after the answer
        errors = await _logs(go, inst["id"], level="ERROR")
        if errors:
            break
        await asyncio.sleep(0.02)
    assert [e["message"] for e in errors] == ["GET /instance/qr failed: websocket dial failed"]
    assert errors[0]["metadata"] == {"status": 500}
