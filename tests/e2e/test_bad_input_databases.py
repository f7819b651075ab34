"""Bad input on every database (issue 21): NUL bytes, 4-byte emoji and over-long values in names,
settings, proxies and message texts are a 4xx or stored safely, never a 500; on MariaDB as on
PostgreSQL (strict mode: too long is refused, never cut) and SQLite (which stores any length)."""

from __future__ import annotations

from typing import Any

from tests.support.server import RunningServer, unique

SETTINGS = {"rejectCall": True, "groupsIgnore": False, "alwaysOnline": False, "readMessages": False,
            "readStatus": False, "syncFullHistory": False}  # fmt: skip
PROXY = {"enabled": True, "host": "10.0.0.1", "port": "3128", "protocol": "http", "username": "u", "password": "p"}


TOO_LONG = "A text in the request is longer than its field allows"


def never_500(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "Traceback" not in response.text and "SQL" not in response.text, response.text


async def test_bad_text_is_a_4xx_or_stored_safely(server: RunningServer, db_kind: str) -> None:
    srv = server
    for bad_name in ("n" * 300, "nul\x00name", "😀" * 300):
        body = {"instanceName": bad_name, "integration": "EVOLUTION"}
        never_500(await srv.client.post("/instance/create", json=body, headers=srv.headers()))
    name = f"{unique()}-😀𝄞"
    await srv.create_instance(name)
    fetched = await srv.client.get("/instance/fetchInstances", params={"instanceName": name}, headers=srv.headers())
    assert fetched.status_code == 200 and fetched.json()[0]["name"] == name  # 4-byte characters kept

    too_long = await srv.client.post(
        f"/settings/set/{name}", json={**SETTINGS, "msgCall": "x" * 500}, headers=srv.headers()
    )
    never_500(too_long)
    if db_kind != "sqlite":  # SQLite holds any length; the others refuse it, never cut it
        assert too_long.status_code == 400 and too_long.json()["response"]["message"] == [TOO_LONG], too_long.text
        found = await srv.client.get(f"/settings/find/{name}", headers=srv.headers())
        assert found.json() is None or found.json().get("msgCall") != "x" * 100, found.text
    never_500(
        await srv.client.post(
            f"/settings/set/{name}", json={**SETTINGS, "msgCall": "sem ligações 📵\x00"}, headers=srv.headers()
        )
    )
    for proxy in ({**PROXY, "host": "h" * 300}, {**PROXY, "username": "ü😀" * 80}):
        never_500(await srv.client.post(f"/proxy/set/{name}", json=proxy, headers=srv.headers()))
    never_500(await srv.client.post(f"/webhook/set/{name}", headers=srv.headers(),
                                    json={"webhook": {"enabled": True, "url": "http://x/" + "a" * 600}}))  # fmt: skip

    texts = ["emoji 😀🧡𝄞 ok", "nul \x00 inside", "long " + "é😀" * 40_000]
    for text in texts:
        sent = await srv.client.post(f"/message/sendText/{name}", json={"number": "5511777776666", "text": text},
                                     headers=srv.headers())  # fmt: skip
        never_500(sent)
        assert sent.status_code == 201, sent.text
    found = await srv.client.post(f"/chat/findMessages/{name}", json={}, headers=srv.headers())
    stored = {m["message"]["conversation"] for m in found.json()["messages"]["records"]}
    assert stored == {"emoji 😀🧡𝄞 ok", "nul  inside", texts[2]}
    for where in ({"key": {"remoteJid": "x\x00"}}, {"key": {"id": "😀" * 500}}):
        never_500(await srv.client.post(f"/chat/findMessages/{name}", json={"where": where}, headers=srv.headers()))
