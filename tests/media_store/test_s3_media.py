"""S3 / MinIO media storage on a real server (fake neonize client) against moto's S3 server."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from neonize.proto import Neonize_pb2 as N
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E
from neonize.utils.jid import build_jid

from evolution_py.media_store.testing import object_keys, s3_env
from evolution_py.sinks.moto_server import moto_server
from evolution_py.sinks.rabbitmq.testing import TcpProxy
from tests.conftest import ServerFactory
from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, eventually, open_instance, record

MARIA = build_jid("5511988887777")


@pytest.fixture(scope="module")
async def moto_port() -> AsyncIterator[int]:
    async with moto_server() as port:
        yield port


def image_event(msg_id: str) -> N.Message:
    source = N.MessageSource(Chat=MARIA, Sender=MARIA, IsFromMe=False, IsGroup=False)
    info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname="Maria", Timestamp=1717000000, Type="media")
    image = E.ImageMessage(URL="https://mmg.whatsapp.net/x", mimetype="image/jpeg", fileLength=11)
    return N.Message(Info=info, Message=E.Message(imageMessage=image))


async def test_received_and_sent_media_are_stored_with_upstreams_keys(
    server_factory: ServerFactory, moto_port: int
) -> None:
    bucket = f"media-{uuid.uuid4().hex[:10]}"
    async with server_factory(**FAKE_ENV, **s3_env(moto_port, bucket)) as srv:
        sink = record(srv)
        name = unique()
        instance_id, client = await open_instance(srv, name)

        await client.push(image_event("3EB0ABABABABABABABABAB"))
        upsert = await eventually(lambda: sink.of("messages.upsert", name))
        url = upsert[-1]["message"]["mediaUrl"]
        assert url.startswith(f"http://127.0.0.1:{moto_port}/{bucket}/evolution-api/{instance_id}/")
        async with httpx.AsyncClient() as http:
            assert (await http.get(url)).content == b"media-bytes"  # the fake's download

        sent = await srv.client.post(
            f"/message/sendMedia/{name}",
            headers=srv.headers(),
            json={"number": "5511977776666", "mediatype": "document", "fileName": "a.pdf",
                  "media": base64.b64encode(b"%PDF-1.4").decode()},
        )  # fmt: skip
        assert sent.status_code == 201, sent.text
        key_id = sent.json()["key"]["id"]
        (outbound,) = await eventually(lambda: sink.of("send.message", name))
        assert unquote(outbound["message"]["mediaUrl"].split("?")[0]).endswith(
            f"/evolution-api/{instance_id}/5511977776666@s.whatsapp.net/{key_id}/documentMessage/a.pdf"
        )
        keys = object_keys(moto_port, bucket)
        assert len(keys) == 2
        received_key = next(k for k in keys if "/imageMessage/" in k)
        prefix = f"evolution-api/{instance_id}/5511988887777@s.whatsapp.net/imageMessage/"
        assert received_key.startswith(prefix) and received_key.endswith("_3EB0ABABABABABABABABAB.jpg")

        async def media_rows() -> list[dict[str, object]]:
            found = await srv.client.post(f"/s3/getMedia/{name}", json={}, headers=srv.headers())
            return found.json() if found.status_code == 201 else []

        rows: list[dict[str, object]] = []
        for _ in range(50):
            rows = await media_rows()
            if len(rows) == 2:
                break
            await asyncio.sleep(0.1)
        assert sorted(str(r["type"]) for r in rows) == ["documentMessage", "imageMessage"]
        image_row = next(r for r in rows if r["type"] == "imageMessage")
        assert set(image_row) == {"id", "fileName", "type", "mimetype", "createdAt", "Message"}
        assert image_row["mimetype"] == "image/jpeg"
        assert image_row["Message"]["message"]["mediaUrl"] == url  # type: ignore[index]
        assert f"evolution-api/{image_row['fileName']}" == received_key

        linked = await srv.client.post(
            f"/s3/getMediaUrl/{name}", json={"id": image_row["id"], "expiry": "60"}, headers=srv.headers()
        )
        assert linked.status_code == 200 and "X-Amz-Expires=60" in linked.json()["mediaUrl"]
        assert linked.json()["id"] == image_row["id"]
        async with httpx.AsyncClient() as http:
            assert (await http.get(linked.json()["mediaUrl"])).content == b"media-bytes"

        by_type = await srv.client.post(f"/s3/getMedia/{name}", json={"type": "nope"}, headers=srv.headers())
        assert by_type.status_code == 400 and by_type.json()["response"]["message"] == ["Media not found"]
        empty_id = await srv.client.post(f"/s3/getMediaUrl/{name}", json={"id": ""}, headers=srv.headers())
        assert empty_id.status_code == 400
        other = await srv.create_instance(unique())
        denied = await srv.client.post(f"/s3/getMedia/{name}", json={}, headers=srv.headers(other["hash"]))
        assert denied.status_code == 401


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_storage_down_delivers_without_media_url_then_stores_it(server_factory: ServerFactory) -> None:
    bucket = f"media-{uuid.uuid4().hex[:10]}"
    async with moto_server() as port:
        proxy = TcpProxy("127.0.0.1", port)
        await proxy.start()
        try:
            env = {**FAKE_ENV, **s3_env(proxy.port, bucket, S3_UPLOAD_TIMEOUT="3")}
            async with server_factory(**env) as srv:
                sink = record(srv)
                name = unique()
                _instance_id, client = await open_instance(srv, name)
                await proxy.cut()
                for index in range(5):
                    await client.push(image_event(f"3EB0{index:018d}"))
                upserts = await eventually(lambda: len(sink.of("messages.upsert", name)) == 5 and sink.of(
                    "messages.upsert", name), within=20)  # fmt: skip
                assert all("mediaUrl" not in u["message"] for u in upserts), "storage is down: no link yet"
                assert srv.services.media is not None and srv.services.media.pending >= 1
                media = srv.services.media
                link = media._link
                failures = [RuntimeError("the database is out of reach")]

                async def link_failing_once(upload: Any, url: str) -> None:
                    if failures:  # the first link after the storage is back: the worker must go on
                        raise failures.pop()
                    await link(upload, url)

                media._link = link_failing_once  # type: ignore[method-assign]
                await proxy.restore()
                await eventually(lambda: media.pending == 0, within=60)
                assert failures == []
                found = await srv.client.post(f"/s3/getMedia/{name}", json={}, headers=srv.headers())
                assert found.status_code == 201 and len(found.json()) == 5
                assert all(row["Message"]["message"]["mediaUrl"] for row in found.json())
                assert len(object_keys(port, bucket)) == 5
        finally:
            await proxy.close()


async def test_routes_without_storage(server_factory: ServerFactory) -> None:
    async with server_factory() as srv:
        name = unique()
        await srv.create_instance(name)
        found = await srv.client.post(f"/s3/getMedia/{name}", json={}, headers=srv.headers())
        assert found.status_code == 400 and found.json()["response"]["message"] == ["Media not found"]
        missing = await srv.client.post(f"/s3/getMediaUrl/{name}", json={}, headers=srv.headers())
        assert missing.status_code == 400
