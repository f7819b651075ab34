"""The /ws stream's hub (bounded per client) and its `events` filter."""

from __future__ import annotations

import pytest

from evolution_py.sinks.socketio.routes import _events_filter
from evolution_py.sinks.socketio.stream import StreamHub


async def test_hub_routes_by_namespace_filters_and_bounds() -> None:
    hub = StreamHub(buffer=3)
    everything = hub.subscribe("/a", None)
    only_send = hub.subscribe("/a", frozenset({"send.message"}))
    other = hub.subscribe("/b", None)
    hub.publish("/a", "send.message", b"1")
    hub.publish("/a", "messages.upsert", b"2")
    assert everything.queue.qsize() == 2 and only_send.queue.qsize() == 1 and other.queue.qsize() == 0
    for payload in (b"3", b"4"):
        hub.publish("/a", "messages.upsert", payload)
    # The fourth event does not fit a buffer of 3: that reader is marked to be cut off, not grown.
    assert everything.overflowed.is_set() and everything.queue.qsize() == 3
    assert not only_send.overflowed.is_set()
    hub.end("/a")
    assert everything.ended.is_set() and only_send.ended.is_set() and not other.ended.is_set()
    hub.unsubscribe(everything)
    hub.unsubscribe(only_send)
    assert hub.count("/a") == 0 and hub.count("/b") == 1


def test_events_filter_accepts_wire_names_and_keys() -> None:
    assert _events_filter(None) is None and _events_filter(" ") is None
    assert _events_filter("messages.upsert, SEND_MESSAGE") == frozenset({"messages.upsert", "send.message"})
    assert _events_filter("GROUP_UPDATE") == frozenset({"groups.update"})
    with pytest.raises(ValueError, match="nope"):
        _events_filter("messages.upsert,nope")
