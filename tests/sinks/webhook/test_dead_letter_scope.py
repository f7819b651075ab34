"""A tenant's dead letters are its own sinks' only: the operator's global webhook (its URL, its
credentials, the events it refused) is seen, replayed and discarded with the global key alone."""

from __future__ import annotations

from typing import Any

from evolution_py.sinks.webhook.testing import Receiver
from tests.support.server import unique

OPERATOR_SECRET = "operator-secret-0123456789"


async def test_a_tenant_sees_and_acts_on_its_own_sinks_dead_letters_only(server_factory: Any) -> None:
    async with Receiver(status=404) as receiver:
        env = {
            "WEBHOOK_GLOBAL_ENABLED": "true",
            "WEBHOOK_GLOBAL_URL": receiver.url.replace("://", f"://ops:{OPERATOR_SECRET}@") + "/operator",
            "WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS": "false",
            "WEBHOOK_EVENTS_INSTANCE_CREATE": "true",
            "WEBHOOK_RETRY_MAX_ATTEMPTS": "1",
        }
        async with server_factory(**env) as srv:
            name = unique()
            created = await srv.create_instance(
                name,
                webhook={
                    "url": receiver.url + "/mine",
                    "events": ["INSTANCE_CREATE"],
                    "headers": {"x-tenant": "tenant-header"},
                },
            )
            tenant = srv.headers(created["hash"])
            await srv.services.bus.drain()

            # The operator sees both letters of the instance, on either route.
            everything = (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()
            assert sorted(r["target"].rsplit("/", 1)[1] for r in everything["records"]) == ["mine", "operator"]
            operator_id = next(r["id"] for r in everything["records"] if r["target"].endswith("/operator"))
            assert operator_id in {
                r["id"] for r in (await srv.client.get("/events/dead", headers=srv.headers())).json()["records"]
            }

            # The tenant sees its own webhook's letter, nothing of the operator's.
            listed = await srv.client.get(f"/events/dead/{name}", headers=tenant)
            assert listed.status_code == 200, listed.text
            page = listed.json()
            assert page["total"] == 1 and [r["target"] for r in page["records"]] == [receiver.url + "/mine"]
            assert OPERATOR_SECRET not in listed.text and "/operator" not in listed.text
            own_id = page["records"][0]["id"]

            # ... nor replays or discards it, by id or with "all".
            for body in ({"ids": [operator_id]}, {"all": True}):
                replayed = await srv.client.post(f"/events/replay/{name}", json=body, headers=tenant)
                assert replayed.status_code == 200, replayed.text
                assert operator_id not in replayed.json()["ids"]
            deleted = await srv.client.request(
                "DELETE", f"/events/dead/{name}", json={"ids": [operator_id]}, headers=tenant
            )
            assert deleted.json() == {"deleted": 0}
            await srv.services.bus.drain()
            assert [request.path for _status, request in receiver.attempts].count("/operator") == 1
            still = (await srv.client.get("/events/dead", headers=srv.headers())).json()["records"]
            assert operator_id in {r["id"] for r in still}

            # Its own letter it replays (it dies again at the 404) and discards.
            assert own_id in {
                r["id"] for r in (await srv.client.get(f"/events/dead/{name}", headers=tenant)).json()["records"]
            }
            deleted = await srv.client.request("DELETE", f"/events/dead/{name}", json={"all": True}, headers=tenant)
            assert deleted.json() == {"deleted": 1}
            left = (await srv.client.get(f"/events/dead/{name}", headers=srv.headers())).json()["records"]
            assert [r["id"] for r in left] == [operator_id]
