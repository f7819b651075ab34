"""Issue 10 item 7: no secret reaches a log line. A full tour against the server as a subprocess at
LOG_LEVEL=DEBUG with uvicorn's access log on, then its whole output is searched for every secret used."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from tests.support.process import ServerProcess
from tests.support.server import TEST_API_KEY, free_port

URL_PASSWORD = "urlpass-" + uuid.uuid4().hex[:12]
PROXY_PASSWORD = "proxypass-" + uuid.uuid4().hex[:12]
HEADER_SECRET = "bearer-" + uuid.uuid4().hex[:16]
GLOBAL_HOOK_PASSWORD = "globalpass-" + uuid.uuid4().hex[:12]


async def _tour(server: ServerProcess, dead_port: int) -> str:
    admin = {"apikey": TEST_API_KEY}
    name = "tour-" + uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        created = await client.post(
            "/instance/create",
            headers=admin,
            json={
                "instanceName": name,
                "integration": "EVOLUTION",
                "number": uuid.uuid4().hex[:12],
                "webhook": {
                    "url": f"http://hookuser:{URL_PASSWORD}@127.0.0.1:{dead_port}/hook",
                    "events": ["SEND_MESSAGE", "MESSAGES_UPSERT"],
                    "headers": {"Authorization": f"Bearer {HEADER_SECRET}"},
                },
            },
        )
        assert created.status_code == 201, created.text
        token = created.json()["hash"]
        mine = {"apikey": token}
        proxy = {
            "enabled": True,
            "host": "10.0.0.1",
            "port": "3128",
            "protocol": "http",
            "username": "proxyuser",
            "password": PROXY_PASSWORD,
        }
        assert (await client.post(f"/proxy/set/{name}", headers=mine, json=proxy)).status_code == 201
        assert (await client.get(f"/proxy/find/{name}?apikey={token}")).status_code in (200, 401)
        assert (await client.get(f"/instance/fetchInstances?apikey={TEST_API_KEY}")).status_code in (200, 401)
        assert (await client.get("/instance/fetchInstances", headers=admin)).status_code == 200
        assert (await client.get(f"/instance/connectionState/{name}", headers=mine)).status_code == 200
        sent = await client.post(
            f"/message/sendText/{name}", headers=mine, json={"number": "5511988887777", "text": "hello"}
        )
        assert sent.status_code == 201, sent.text
        await client.get(f"/instance/connectionState/{name}", headers={"Authorization": f"Bearer {token}"})
        await client.get(f"/webhook/find/{name}", headers=mine)
        await asyncio.sleep(1.5)  # the failing webhook deliveries are logged
        assert (await client.delete(f"/instance/delete/{name}", headers=admin)).status_code == 200
    return str(token)


async def test_a_debug_log_of_a_full_tour_holds_no_secret(tmp_path: Path) -> None:
    dead_port = free_port()  # nothing listens: deliveries fail and are logged with their URL
    server = ServerProcess(
        tmp_path,
        {
            "LOG_LEVEL": "DEBUG",
            "WEBHOOK_GLOBAL_ENABLED": "true",
            "WEBHOOK_GLOBAL_URL": f"http://ops:{GLOBAL_HOOK_PASSWORD}@127.0.0.1:{dead_port}/global",
            "WEBHOOK_EVENTS_SEND_MESSAGE": "true",
            "DATABASE_CONNECTION_URI": f"sqlite:///{tmp_path / 'evolution.db'}",
        },
    )
    await server.start()
    try:
        token = await _tour(server, dead_port)
        await asyncio.sleep(0.5)
    finally:
        server.ensure_stopped()
    log = server.log_path.read_text(errors="replace")
    assert "sendText" in log and "GET /instance/fetchInstances" in log  # the access log was on
    # (before the fix, aiosqlite's DEBUG lines carried every bound value: tokens, passwords, URLs)
    leaks: list[str] = []
    for what, secret in {
        "global key": TEST_API_KEY,
        "instance token": token,
        "proxy password": PROXY_PASSWORD,
        "webhook URL password": URL_PASSWORD,
        "webhook header": HEADER_SECRET,
        "global webhook URL password": GLOBAL_HOOK_PASSWORD,
    }.items():
        lines = [line for line in log.splitlines() if secret.lower() in line.lower()]
        leaks.extend(f"{what}: {line[:300]}" for line in lines[:3])
    assert not leaks, "secrets in the log:\n" + "\n".join(leaks)
