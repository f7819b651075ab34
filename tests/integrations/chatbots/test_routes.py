"""The chatbot routes of every kind, over HTTP on both databases: what Evolution API's Manager and
n8n's node call to list, create, edit and delete bots, with upstream's answers and errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ServerFactory
from tests.support.server import RunningServer, unique

ALL_ON = {f"{k}_ENABLED": "true" for k in ("TYPEBOT", "OPENAI", "DIFY", "FLOWISE", "N8N", "EVOAI")}

# The smallest valid create body of each kind (its schema-required fields).
BODIES: dict[str, dict[str, Any]] = {
    "evolutionBot": {"apiUrl": "http://bot.example/one"},
    "typebot": {"url": "http://typebot.example", "typebot": "my-flow"},
    "dify": {"botType": "chatBot", "apiUrl": "http://dify.example/v1", "apiKey": "app-1"},
    "flowise": {"apiUrl": "http://flowise.example/api/v1/prediction/1"},
    "n8n": {"webhookUrl": "http://n8n.example/webhook/1"},
    "evoai": {"agentUrl": "http://evoai.example/agent"},
}


async def _instance(srv: RunningServer) -> tuple[str, dict[str, str]]:
    name = unique()
    token = (await srv.create_instance(name))["hash"]
    return name, srv.headers(token)


@pytest.mark.parametrize("route", sorted(BODIES))
async def test_a_bot_is_created_listed_edited_and_deleted(server_factory: ServerFactory, route: str) -> None:
    async with server_factory(**ALL_ON) as srv:
        name, headers = await _instance(srv)
        c = srv.client
        body = {"enabled": True, "triggerType": "keyword", "triggerOperator": "equals", "triggerValue": "hi"}
        created = await c.post(f"/{route}/create/{name}", json={**body, **BODIES[route]}, headers=headers)
        assert created.status_code == 201, created.text
        bot = created.json()
        assert bot["triggerValue"] == "hi" and bot["enabled"] is True and bot["id"]
        bot_id = bot["id"]

        found = await c.get(f"/{route}/find/{name}", headers=headers)
        assert [b["id"] for b in found.json()] == [bot_id]
        fetched = await c.get(f"/{route}/fetch/{bot_id}/{name}", headers=headers)
        assert fetched.json()["id"] == bot_id

        again = await c.post(
            f"/{route}/create/{name}", json={**body, **BODIES[route], "apiKey": "other"}, headers=headers
        )
        assert again.status_code == 500
        assert again.json()["response"]["message"] in ("Trigger already exists", f"{_kind(route)} already exists")

        updated = await c.put(
            f"/{route}/update/{bot_id}/{name}",
            json={**body, **BODIES[route], "triggerValue": "hello", "description": "edited"},
            headers=headers,
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["description"] == "edited" and updated.json()["triggerValue"] == "hello"

        # A create without behaviour fields made the instance's settings row from its values.
        settings = await c.get(f"/{route}/fetchSettings/{name}", headers=headers)
        assert settings.status_code == 200 and "fallbackId" in settings.json()

        deleted = await c.delete(f"/{route}/delete/{bot_id}/{name}", headers=headers)
        assert deleted.status_code == 200 and deleted.json() == {"bot": {"id": bot_id}}
        assert (await c.get(f"/{route}/find/{name}", headers=headers)).json() == []


def _kind(route: str) -> str:
    return {"evolutionBot": "Evolution Bot", "typebot": "Typebot", "dify": "Dify", "flowise": "Flowise"}.get(
        route, route.capitalize()
    )


async def test_settings_fallback_ignore_jids_and_status(server: RunningServer) -> None:
    name, headers = await _instance(server)
    c = server.client
    defaults = await c.get(f"/evolutionBot/fetchSettings/{name}", headers=headers)
    assert defaults.json() == {
        "expire": 300, "keywordFinish": "bye", "delayMessage": 1000, "unknownMessage": "Sorry, I dont understand",
        "listeningFromMe": True, "stopBotFromMe": True, "keepOpen": False, "debounceTime": 1, "ignoreJids": [],
        "splitMessages": False, "timePerChar": 0, "fallbackId": "", "fallback": None,
    }  # fmt: skip
    no_row = await c.post(f"/evolutionBot/ignoreJid/{name}", json={"remoteJid": "1@s.whatsapp.net", "action": "add"},
                          headers=headers)  # fmt: skip
    assert no_row.status_code == 500
    assert no_row.json()["response"]["message"] == "Error setting default settings"

    bot = (
        await c.post(
            f"/evolutionBot/create/{name}",
            json={"enabled": True, "triggerType": "none", "apiUrl": "http://bot.example/x"},
            headers=headers,
        )
    ).json()
    saved = await c.post(
        f"/evolutionBot/settings/{name}",
        json={
            "expire": 10, "keywordFinish": "#end", "delayMessage": 0, "unknownMessage": "?", "listeningFromMe": False,
            "stopBotFromMe": True, "keepOpen": False, "debounceTime": 0, "ignoreJids": [], "splitMessages": False,
            "timePerChar": 0, "fallbackId": bot["id"],
        },
        headers=headers,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text
    assert saved.json()["fallbackId"] == bot["id"] and saved.json()["botIdFallback"] == bot["id"]
    fetched = (await c.get(f"/evolutionBot/fetchSettings/{name}", headers=headers)).json()
    assert fetched["fallback"]["id"] == bot["id"] and fetched["keywordFinish"] == "#end"

    ignore = await c.post(f"/evolutionBot/ignoreJid/{name}", json={"remoteJid": "1@s.whatsapp.net", "action": "add"},
                          headers=headers)  # fmt: skip
    assert ignore.json() == {"ignoreJids": ["1@s.whatsapp.net"]}
    paused = {"remoteJid": "1@s.whatsapp.net", "status": "paused"}
    status = await c.post(f"/evolutionBot/changeStatus/{name}", json=paused, headers=headers)
    assert status.json() == {
        "bot": {
            "instanceName": name,
            "bot": {"remoteJid": "1@s.whatsapp.net", "status": "paused", "session": {"count": 0}},
        }
    }
    sessions = await c.get(f"/evolutionBot/fetchSessions/{bot['id']}/{name}", headers=headers)
    assert sessions.status_code == 200 and sessions.json() == []


async def test_errors_are_upstreams(server: RunningServer) -> None:
    name, headers = await _instance(server)
    c = server.client
    disabled = await c.get(f"/typebot/find/{name}", headers=headers)
    assert disabled.status_code == 400
    assert disabled.json()["response"]["message"] == ["Typebot is disabled"]

    missing = await c.post(
        f"/evolutionBot/create/{name}", json={"enabled": True, "triggerType": "all"}, headers=headers
    )
    assert missing.status_code == 400
    assert missing.json()["response"]["message"] == [['instance requires property "apiUrl"']]

    bad_enum = await c.post(
        f"/evolutionBot/create/{name}", json={"enabled": True, "triggerType": "sometimes", "apiUrl": "http://x"},
        headers=headers,
    )  # fmt: skip
    assert bad_enum.status_code == 400
    bad_operator = await c.post(
        f"/evolutionBot/create/{name}",
        json={"enabled": True, "triggerType": "keyword", "triggerOperator": "like", "apiUrl": "http://x"},
        headers=headers,
    )
    assert bad_operator.json()["response"]["message"] == [
        ["triggerOperator is not one of enum values: equals,contains,startsWith,endsWith,regex"]
    ]

    keyword = await c.post(
        f"/evolutionBot/create/{name}", json={"enabled": True, "triggerType": "keyword", "apiUrl": "http://x"},
        headers=headers,
    )  # fmt: skip
    assert keyword.status_code == 500
    assert keyword.json()["response"]["message"] == "Trigger operator and value are required"

    first = await c.post(
        f"/evolutionBot/create/{name}", json={"enabled": True, "triggerType": "all", "apiUrl": "http://x"},
        headers=headers,
    )  # fmt: skip
    assert first.status_code == 201
    second = await c.post(
        f"/evolutionBot/create/{name}", json={"enabled": True, "triggerType": "all", "apiUrl": "http://y"},
        headers=headers,
    )  # fmt: skip
    assert second.status_code == 500
    assert 'with an "All" trigger' in second.json()["response"]["message"]

    other, other_headers = await _instance(server)
    foreign = await c.delete(f"/evolutionBot/delete/{first.json()['id']}/{other}", headers=other_headers)
    assert foreign.status_code == 500  # another instance's bot is not found
    assert (await c.get(f"/evolutionBot/fetch/{first.json()['id']}/{other}", headers=other_headers)).json() is None
    cross = await c.get(f"/evolutionBot/find/{name}", headers=other_headers)
    assert cross.status_code == 401


async def test_deleting_the_instance_deletes_its_bots_and_sessions(server: RunningServer) -> None:
    name, headers = await _instance(server)
    body = {"enabled": True, "triggerType": "all", "apiUrl": "http://bot.example/x"}
    assert (await server.client.post(f"/evolutionBot/create/{name}", json=body, headers=headers)).status_code == 201
    deleted = await server.client.delete(f"/instance/delete/{name}", headers=server.headers())
    assert deleted.status_code == 200, deleted.text
    from sqlalchemy import func, select

    from evolution_py.integrations.chatbots.models import EvolutionBot, EvolutionBotSetting

    async with server.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(EvolutionBot)) == 0
        assert await session.scalar(select(func.count()).select_from(EvolutionBotSetting)) == 0
