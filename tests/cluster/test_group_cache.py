"""The group-metadata cache at the neonize boundary (the fake client): with CACHE_REDIS_ENABLED, a
second mention of everyone in a group does not ask WhatsApp again, and the entry is in Redis under
`<prefix>:groupCache:<instance id>:<group>` for every node to share."""

from __future__ import annotations

import uuid
from typing import Any

import redis.asyncio as aioredis

from tests.support.server import unique
from tests.support.whatsmeow import FAKE_ENV, open_instance

GROUP = "120363025555555555@g.us"


async def test_mentions_everyone_asks_whatsapp_once(server_factory: Any) -> None:
    from neonize.proto import Neonize_pb2 as N
    from neonize.utils.jid import build_jid

    prefix = f"cluster-t-{uuid.uuid4().hex[:8]}"
    env = {
        **FAKE_ENV,
        "CACHE_REDIS_ENABLED": "true",
        "CACHE_REDIS_URI": "redis://127.0.0.1:6379/0",
        "CACHE_REDIS_PREFIX_KEY": prefix,
    }
    redis = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        async with server_factory(**env) as srv:
            name = unique()
            instance_id, client = await open_instance(srv, name)
            client.answers["get_group_info"] = N.GroupInfo(
                JID=build_jid("120363025555555555", "g.us"),
                Participants=[N.GroupParticipant(JID=build_jid("5511911111111"))],
            )
            for text in ("um", "dois"):
                answer = await srv.client.post(
                    f"/message/sendText/{name}",
                    headers=srv.headers(),
                    json={"number": GROUP, "text": text, "mentionsEveryOne": True},
                )
                assert answer.status_code == 201, answer.text
            assert len(client.calls_of("get_group_info")) == 1
            stored = await redis.get(f"{prefix}:groupCache:{instance_id}:{GROUP}")
            assert stored == b'{"participants":["5511911111111@s.whatsapp.net"]}'
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
