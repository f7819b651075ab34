"""Prometheus metrics (`GET /metrics`, PROMETHEUS_METRICS=true): upstream's four families and ours.

Upstream (2.3.6, index.router.ts) writes `evolution_environment_info`, `evolution_instances_total`,
`evolution_instance_up` and `evolution_instance_state` by hand at scrape time; `InstanceCollector`
gives the same names and labels from the registry of loaded instances. Ours are counted where things
happen, by one call from the bus (`event_published`), the dispatcher (`delivered`, `retried`, `dead`)
and the HTTP edge (`HttpMetrics`). The hot path is a dict update per count (`Tally`, `Timings`: no
lock, no label objects; the event loop is the only writer), rendered at scrape time; HTTP requests
are labelled by route template, never by raw path.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)


class Tally:
    """A counter family kept as a plain dict from label values to a count: an increment on the event
    loop is a dict update (~0.1 µs), where prometheus-client's own Counter takes a lock (~1.6 µs).
    Rendered at scrape time."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.counts: dict[tuple[str, ...], int] = {}

    def inc(self, *values: str) -> None:
        self.counts[values] = self.counts.get(values, 0) + 1

    def family(self) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, count in list(self.counts.items()):
            family.add_metric(values, count)
        return family


class Timings:
    """A histogram family the same way: per label values, a count per bucket (made cumulative when
    rendered) and the sum."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...], buckets: tuple[float, ...]) -> None:
        self.name, self.documentation, self.labels, self.buckets = name, documentation, labels, buckets
        self.series: dict[tuple[str, ...], list[float]] = {}  # [count per bucket..., +Inf count, sum]
        self.bounds = [*(repr(float(bound)) for bound in buckets), "+Inf"]

    def observe(self, seconds: float, *values: str) -> None:
        series = self.series.get(values)
        if series is None:
            series = self.series[values] = [0.0] * (len(self.buckets) + 2)
        series[bisect_left(self.buckets, seconds)] += 1
        series[-1] += seconds

    def family(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, series in list(self.series.items()):
            running, cumulative = 0.0, []
            for bound, count in zip(self.bounds, series[:-1], strict=True):
                running += count
                cumulative.append((bound, running))
            family.add_metric(list(values), cumulative, series[-1])
        return family


EVENTS_PUBLISHED = Tally("evolution_events_published", "Events the bus accepted, by event name", ("event",))
MESSAGES = Tally(
    "evolution_messages",
    "Messages per instance: direction in (messages.upsert events), out (send.message events)",
    ("instance", "direction"),
)
PLANNED = Tally("evolution_events_planned", "Deliveries planned for a sink when the bus accepted an event", ("sink",))
DELIVERED = Tally("evolution_events_delivered", "Deliveries a sink completed", ("sink",))
RETRIED = Tally("evolution_events_retried", "Failed deliveries scheduled again", ("sink",))
DEAD = Tally("evolution_events_dead", "Deliveries dead-lettered (attempts used up or refused)", ("sink",))
DELIVERY_SECONDS = Timings(
    "evolution_event_delivery_seconds",
    "From the event's creation to its delivery, by sink (retries included)",
    ("sink",),
    _LATENCY_BUCKETS,
)
HTTP_REQUESTS = Tally(
    "evolution_http_requests", "HTTP requests by method, route template and status", ("method", "route", "status")
)
HTTP_SECONDS = Timings(
    "evolution_http_request_duration_seconds",
    "HTTP request latency by method and route template",
    ("method", "route"),
    _LATENCY_BUCKETS[:12],
)
HTTP_REFUSED = Tally(
    "evolution_http_refused",
    "Requests refused 503 by backpressure: reason server, instance (MAX_INFLIGHT) or latency (SERVER_MAX_WAIT_MS)",
    ("reason",),
)
RECONNECTS = Tally(
    "evolution_channel_reconnects", "An instance back to open after it had been open in this process", ("integration",)
)
_FAMILIES = (
    EVENTS_PUBLISHED,
    MESSAGES,
    PLANNED,
    DELIVERED,
    RETRIED,
    DEAD,
    DELIVERY_SECONDS,
    HTTP_REQUESTS,
    HTTP_SECONDS,
    HTTP_REFUSED,
)
OUTBOX_PENDING = Gauge("evolution_outbox_pending", "Deliveries waiting in the outbox", registry=REGISTRY)
OUTBOX_DEAD = Gauge("evolution_outbox_dead", "Dead letters kept in the outbox", registry=REGISTRY)
OUTBOX_OLDEST = Gauge(
    "evolution_outbox_oldest_pending_seconds", "Age of the oldest pending delivery (0: none)", registry=REGISTRY
)


class _Counted(Collector):
    def collect(self) -> Iterable[Metric]:
        return [family.family() for family in (*_FAMILIES, RECONNECTS)]


REGISTRY.register(_Counted())


# --- the bus and its dispatchers ------------------------------------------------------------------

# instance id → whether its last connection.update said open, once it has been open in this process
_opened: dict[str, bool] = {}


def event_published(event: Any) -> None:
    """The bus accepted `event` (an events.event.Event)."""
    name = event.event
    EVENTS_PUBLISHED.inc(name)
    if name == "messages.upsert":
        MESSAGES.inc(event.instance, "in")
    elif name == "send.message":
        MESSAGES.inc(event.instance, "out")
    elif name == "connection.update":
        data = event.data if isinstance(event.data, dict) else {}
        is_open = data.get("state") == "open"
        was_open = _opened.get(event.instance_id)
        if is_open and was_open is False:  # open again after a drop: a reconnect
            RECONNECTS.inc(_integration_of(event.instance_id))
        if is_open or was_open is not None:
            _opened[event.instance_id] = is_open
    elif name == "remove.instance":
        _opened.pop(event.instance_id, None)


def planned(deliveries: Iterable[Any]) -> None:
    """The bus planned these deliveries (events.sink.Delivery) for one event."""
    for delivery in deliveries:
        PLANNED.inc(delivery.sink)


def delivered(sink: str, event: Any) -> None:
    DELIVERED.inc(sink)
    try:
        created = datetime.fromisoformat(event.date_time).timestamp()
    except (TypeError, ValueError):
        return
    DELIVERY_SECONDS.observe(max(0.0, time.time() - created), sink)


def retried(sink: str) -> None:
    RETRIED.inc(sink)


def dead(sink: str) -> None:
    DEAD.inc(sink)


# --- scrape-time values ---------------------------------------------------------------------------

InstanceRow = tuple[str, str, str]  # name, integration, state


class _Watched:
    """Where the loaded instances are read (set by the app at build time)."""

    def __init__(self) -> None:
        self.rows: Callable[[], Iterable[InstanceRow]] = tuple
        self.integration_of: Callable[[str], str] = lambda _instance_id: ""
        self.environment: tuple[str, str, str] = ("", "", "")  # version, clientName, serverUrl


_Instances = _Watched()


def _integration_of(instance_id: str) -> str:
    return _Instances.integration_of(instance_id)


def watch_instances(
    rows: Callable[[], Iterable[InstanceRow]],
    integration_of: Callable[[str], str],
    *,
    version: str,
    client_name: str,
    server_url: str,
) -> None:
    """`rows`: (name, integration, state) of every loaded instance, read at scrape time;
    `integration_of`: an instance id's integration, for the reconnect counter."""
    _Instances.rows = rows
    _Instances.integration_of = integration_of
    _Instances.environment = (version, client_name, server_url)


class InstanceCollector(Collector):
    """Upstream's families (same names, labels and help) plus instances counted by integration and state."""

    def collect(self) -> Iterable[Metric]:
        rows = list(_Instances.rows())
        info = GaugeMetricFamily(
            "evolution_environment_info", "Environment information", labels=["version", "clientName", "serverUrl"]
        )
        info.add_metric(list(_Instances.environment), 1)
        total = GaugeMetricFamily("evolution_instances_total", "Total number of instances", value=len(rows))
        up = GaugeMetricFamily(
            "evolution_instance_up", "1 if instance state is open, else 0", labels=["instance", "integration"]
        )
        state = GaugeMetricFamily(
            "evolution_instance_state",
            "Instance state as a labelled metric",
            labels=["instance", "integration", "state"],
        )
        counted: dict[tuple[str, str], int] = {}
        for name, integration, current in rows:
            up.add_metric([name, integration], 1 if current == "open" else 0)
            state.add_metric([name, integration, current], 1)
            counted[(integration, current)] = counted.get((integration, current), 0) + 1
        by_state = GaugeMetricFamily(
            "evolution_instances_by_state", "Loaded instances by integration and state", labels=["integration", "state"]
        )
        for (integration, current), count in sorted(counted.items()):
            by_state.add_metric([integration, current], count)
        return [info, total, up, state, by_state]


REGISTRY.register(InstanceCollector())

OutboxStats = tuple[int, int, float | None]  # pending, dead, oldest pending createdAt (epoch seconds)


async def refresh_outbox(stats: Callable[[], Awaitable[OutboxStats]]) -> None:
    """Read the outbox's depth for this scrape (a query; the gauges keep their last value on failure)."""
    pending, dead_count, oldest = await stats()
    OUTBOX_PENDING.set(pending)
    OUTBOX_DEAD.set(dead_count)
    OUTBOX_OLDEST.set(max(0.0, time.time() - oldest) if oldest else 0.0)


# --- the HTTP edge --------------------------------------------------------------------------------

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class HttpMetrics:
    """ASGI wrapper counting requests by route template (`path_template`, set by Litestar's router in
    the shared scope; "unmatched" for a 404 no route took) and status, with their latency."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        # A plain function handing back send's own awaitable: the status is noted on the way through
        # without a coroutine of ours per ASGI message (an `async def` wrapper here cost a frame and
        # an await layer on each of the two messages of every answer).
        def sending(message: dict[str, Any]) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            result: Awaitable[None] = send(message)
            return result

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("path_template") or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.inc(method, route, _STATUS.get(status[0]) or str(status[0]))
            HTTP_SECONDS.observe(time.perf_counter() - started, method, route)


_STATUS = {code: str(code) for code in range(100, 600)}
