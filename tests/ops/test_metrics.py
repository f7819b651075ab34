"""`GET /metrics` after a known workload, read with prometheus-client's own parser: the counters move
by exactly what was sent; upstream's access rules (IP list, Basic auth) and switch."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from evolution_py.config import Env
from evolution_py.ops.metrics_access import MetricsAccess
from evolution_py.sinks.webhook.testing import Receiver
from tests.support.server import RunningServer, unique

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(srv: RunningServer, **headers: str) -> Samples:
    answer = await srv.client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def inbound(srv: RunningServer, token: str, number: str, text: str) -> None:
    body = {
        "numberId": number,
        "key": {"remoteJid": "5511888887777@s.whatsapp.net", "fromMe": False, "id": uuid.uuid4().hex},
        "pushName": "Ana",
        "message": {"conversation": text},
    }
    answer = await srv.client.post("/webhook/evolution", json=body, headers=srv.headers(token))
    assert answer.status_code == 200, answer.text


async def test_counters_equal_a_known_workload(server_factory: Any) -> None:
    env = {
        "PROMETHEUS_METRICS": "true",
        "WEBHOOK_RETRY_INITIAL_DELAY_SECONDS": "0.05",
        "WEBHOOK_RETRY_MAX_ATTEMPTS": "2",
    }
    async with Receiver() as receiver, server_factory(**env) as srv:
        before = await scrape(srv)
        name, number = unique(), "55119" + str(uuid.uuid4().int)[:8]
        events = ["MESSAGES_UPSERT", "SEND_MESSAGE"]
        token = (await srv.create_instance(name, number=number, webhook={"url": receiver.url, "events": events}))[
            "hash"
        ]
        for i in range(3):
            await inbound(srv, token, number, f"in {i}")
        for i in range(2):
            sent = await srv.client.post(
                f"/message/sendText/{name}", json={"number": "5511888887777", "text": f"out {i}"}, headers=srv.headers()
            )
            assert sent.status_code == 201, sent.text
        await receiver.wait_for(lambda r: len(r.requests) == 5, within=10)
        receiver.status = 404  # refused for good: the next delivery is a dead letter at once
        await inbound(srv, token, number, "lost")
        await srv.services.bus.drain()
        after = await scrape(srv)

    def delta(metric: str, **labels: str) -> float:
        return value(after, metric, **labels) - value(before, metric, **labels)

    assert value(after, "evolution_messages_total", instance=name, direction="in") == 4
    assert value(after, "evolution_messages_total", instance=name, direction="out") == 2
    assert delta("evolution_events_planned_total", sink="webhook") == 6
    assert delta("evolution_events_delivered_total", sink="webhook") == 5
    assert delta("evolution_event_delivery_seconds_count", sink="webhook") == 5
    assert delta("evolution_events_dead_total", sink="webhook") == 1
    assert delta("evolution_events_retried_total", sink="webhook") == 0
    assert delta("evolution_events_published_total", event="messages.upsert") == 4
    assert delta("evolution_events_published_total", event="send.message") == 2
    assert value(after, "evolution_outbox_dead") >= 1
    assert (
        value(after, "evolution_outbox_pending") == 0 and value(after, "evolution_outbox_oldest_pending_seconds") == 0
    )
    route = {"method": "POST", "route": "/message/sendText/{instanceName}"}
    assert delta("evolution_http_requests_total", **route, status="201") == 2
    assert delta("evolution_http_request_duration_seconds_count", **route) == 2
    assert delta("evolution_http_requests_total", method="POST", route="/webhook/evolution", status="200") == 4
    # upstream's families, with upstream's names and labels
    assert value(after, "evolution_instance_up", instance=name, integration="EVOLUTION") == 1
    assert value(after, "evolution_instance_state", instance=name, integration="EVOLUTION", state="open") == 1
    assert value(after, "evolution_instances_total") == 1
    assert value(after, "evolution_instances_by_state", integration="EVOLUTION", state="open") == 1
    info = [labels for (metric, labels) in after if metric == "evolution_environment_info"]
    assert dict(info[0])["version"] == "2.3.6" and dict(info[0])["clientName"] == "evolution"


async def test_metrics_is_absent_unless_switched_on(server: RunningServer) -> None:
    assert (await server.client.get("/metrics")).status_code == 404


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
async def test_basic_auth_and_allowed_ips_as_upstream(server_factory: Any) -> None:
    env = {
        "PROMETHEUS_METRICS": "true",
        "METRICS_AUTH_REQUIRED": "true",
        "METRICS_USER": "prom",
        "METRICS_PASSWORD": "s3cret-scraper",
        "METRICS_ALLOWED_IPS": "10.1.2.3, 127.0.0.1",
    }
    async with server_factory(**env) as srv:
        anonymous = await srv.client.get("/metrics")
        assert anonymous.status_code == 401 and anonymous.text == "Authentication required"
        assert anonymous.headers["www-authenticate"] == 'Basic realm="Evolution API Metrics"'
        wrong = await srv.client.get("/metrics", headers={"authorization": _basic("prom", "guess")})
        assert wrong.status_code == 401 and wrong.text == "Invalid credentials"
        assert await scrape(srv, authorization=_basic("prom", "s3cret-scraper"))
    async with server_factory(PROMETHEUS_METRICS="true", METRICS_ALLOWED_IPS="10.0.0.0/8") as srv:
        refused = await srv.client.get("/metrics")
        assert refused.status_code == 403 and refused.text == "Forbidden: IP not allowed"
    async with server_factory(PROMETHEUS_METRICS="true", METRICS_AUTH_REQUIRED="true") as srv:
        unset = await srv.client.get("/metrics")
        assert unset.status_code == 500 and unset.text == "Metrics authentication not configured"


@pytest.mark.parametrize(
    ("allowed", "client", "ok"),
    [
        ("", "203.0.113.9", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "::ffff:127.0.0.1", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("192.168.0.0/16", "192.168.7.1", True),
        ("::1", "::1", True),
        ("prometheus.local", "10.0.0.1", False),
        ("10.0.0.1", "not-an-ip", False),
    ],
)
def test_allowed_ips(allowed: str, client: str, ok: bool) -> None:
    access = MetricsAccess.from_env(Env({"PROMETHEUS_METRICS": "true", "METRICS_ALLOWED_IPS": allowed}))
    assert (access.refusal(client, None) is None) is ok


def test_credentials_need_both_halves_exactly() -> None:
    env = {"METRICS_AUTH_REQUIRED": "true", "METRICS_USER": "u", "METRICS_PASSWORD": "p:with:colons"}
    access = MetricsAccess.from_env(Env(env))
    assert access.refusal("127.0.0.1", _basic("u", "p:with:colons")) is None
    assert access.refusal("127.0.0.1", _basic("u", "p")) == (401, "Invalid credentials")
    assert access.refusal("127.0.0.1", "Basic !!notbase64") == (401, "Invalid credentials")
    assert access.refusal("127.0.0.1", "Bearer x") == (401, "Authentication required")


def test_the_grafana_dashboard_names_only_metrics_we_serve() -> None:
    import json
    import re
    from pathlib import Path

    from prometheus_client import generate_latest

    from evolution_py.ops import metrics

    dashboard = json.loads((Path(__file__).parents[2] / "docker" / "grafana-dashboard.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"evolution_[a-z_]+", target["expr"])
    }
    served = {family.name for family in text_string_to_metric_families(generate_latest(metrics.REGISTRY).decode())}
    unknown = {
        name for name in used if name not in served and re.sub(r"_(total|bucket|count|sum)$", "", name) not in served
    }
    assert used and not unknown, unknown
