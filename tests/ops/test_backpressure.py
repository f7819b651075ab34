"""Backpressure (ops/backpressure.py) on a real server with a real HTTP client: a flood on one slow
instance is refused past INSTANCE_MAX_INFLIGHT with upstream's 503 envelope, Retry-After and the
CORS headers a browser needs; other instances and /health keep being served; the refusals count in
/metrics; every accepted send is stored."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from evolution_py.ops.backpressure import BUSY, INTERVAL, Gate
from tests.support.server import unique

ORIGIN = "https://app.example"


async def refused_count(srv: Any) -> float:
    metrics = (await srv.client.get("/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "evolution_http_refused_total" and sample.labels == {"reason": "instance"}
    )


async def test_a_flood_on_a_slow_instance_is_refused_not_queued(server_factory: Any) -> None:
    env = {"INSTANCE_MAX_INFLIGHT": "3", "SERVER_MAX_INFLIGHT": "0", "PROMETHEUS_METRICS": "true"}
    async with server_factory(**env) as srv:
        before = await refused_count(srv)
        slow, other = unique(), unique()
        await srv.create_instance(slow)
        await srv.create_instance(other)
        # The EVOLUTION channel honours `delay` before it sends: an instance that takes 1.5 s a send.
        body = {"number": "5511999990000", "text": "hi", "delay": 1500}
        headers = {**srv.headers(), "Origin": ORIGIN}
        flood = [
            asyncio.create_task(srv.client.post(f"/message/sendText/{slow}", json=body, headers=headers))
            for _ in range(10)
        ]
        await asyncio.sleep(0.5)  # the flood is in: 3 in flight, 7 refused at once
        quick = await srv.client.post(
            f"/message/sendText/{other}", json={"number": "5511999990001", "text": "hi"}, headers=headers
        )
        assert quick.status_code == 201, quick.text
        assert (await srv.client.get("/health")).status_code == 200
        answers = await asyncio.gather(*flood)

        accepted = [a for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code == 503]
        assert (len(accepted), len(refused)) == (3, 7), [a.status_code for a in answers]
        for answer in refused:
            assert answer.json() == {
                "status": 503,
                "error": "Service Unavailable",
                "response": {"message": ["The server is busy; retry after the time in Retry-After"]},
            }
            assert answer.headers["retry-after"] == "1"
            assert answer.headers["access-control-allow-origin"] in (ORIGIN, "*")
            assert answer.elapsed.total_seconds() < 1.0  # refused at once, not after the slow ones

        # every accepted send is stored; the slot is free again once they finished
        found = await srv.client.post(f"/chat/findMessages/{slow}", json={}, headers=srv.headers())
        keys = {record["key"]["id"] for record in found.json()["messages"]["records"]}
        assert keys == {a.json()["key"]["id"] for a in accepted}
        again = await srv.client.post(
            f"/message/sendText/{slow}", json={"number": "5511999990000", "text": "hi"}, headers=headers
        )
        assert again.status_code == 201, again.text

        assert await refused_count(srv) - before == 7  # the counters are the process's: a difference


async def test_the_process_bound_refuses_past_it(server_factory: Any) -> None:
    async with server_factory(SERVER_MAX_INFLIGHT="2", INSTANCE_MAX_INFLIGHT="0") as srv:
        names = [unique() for _ in range(4)]
        for name in names:
            await srv.create_instance(name)
        body = {"number": "5511999990000", "text": "hi", "delay": 1000}
        answers = await asyncio.gather(
            *(srv.client.post(f"/message/sendText/{name}", json=body, headers=srv.headers()) for name in names)
        )
        assert sorted(a.status_code for a in answers) == [201, 201, 503, 503]


def test_a_standing_queue_is_refused_and_a_few_slow_requests_are_not() -> None:
    gate = Gate(0, 0, max_wait=0.5)
    gate.inflight = 40
    now = 100.0
    for _ in range(BUSY - 1):  # a few slow ones (sends with a long delay): no verdict
        gate.finished(2.0, now)
    gate.finished(2.0, now + INTERVAL)
    assert not gate.queue_standing(now + INTERVAL)
    for _ in range(BUSY):  # a busy interval whose fastest request waited 0.6 s: a standing queue
        gate.finished(0.6, now + 0.15)
    gate.finished(0.6, now + 0.21)
    assert gate.queue_standing(now + 0.21)
    gate.inflight = 0  # drained: requests are let in to measure again
    assert not gate.queue_standing(now + 0.25)
    gate.inflight = 40
    for _ in range(BUSY):  # busy, but one request was quick: no queue
        gate.finished(0.6, now + 0.3)
    gate.finished(0.01, now + 0.35)
    assert not gate.queue_standing(now + 0.35)
