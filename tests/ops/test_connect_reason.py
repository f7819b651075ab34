"""`connect` says why the last dial failed (`lastConnectionError`, ours beside upstream's fields)."""

from __future__ import annotations

from neonize.proto.Neonize_pb2 import Connected

from tests.support.fake_neonize import FakeClient
from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, client_of, create, eventually


async def test_connect_answers_the_last_dial_failure_until_open(server_factory) -> None:
    async with server_factory(**FAKE_ENV, WHATSMEOW_QR_DIAL_ATTEMPTS="50") as srv:
        name = unique()
        instance_id = await create(srv, name)
        FakeClient.presets[instance_id] = {"connect_error": "dial tcp: lookup web.whatsapp.com: no such host"}
        first = await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())
        assert first.status_code == 200
        channel = srv.services.registry.require(name).channel
        await eventually(lambda: getattr(channel, "last_failure", None) is not None)
        again = (await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())).json()
        assert again["count"] == 0  # upstream's field stays
        assert again["lastConnectionError"] == "connection failed: dial tcp: lookup web.whatsapp.com: no such host"
        FakeClient.presets.pop(instance_id)
        latest = await client_of(instance_id, count=len(FakeClient.all_of(instance_id)) + 1)
        await latest.push(Connected(status=True))
        await eventually(lambda: channel.state == "open")
        opened = (await srv.client.get(f"/instance/connect/{name}", headers=srv.headers())).json()
        assert opened == {"instance": {"instanceName": name, "state": "open"}}
        assert getattr(channel, "last_failure", "") is None
