"""Which routes a non-owner answers itself (`LOCAL_READS`), and the scope of the read-only view the
registry sees while it does (`core/registry.visiting`): that request only, never `all()`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from evolution_py.cluster.routing import is_local_read, local_read_of
from evolution_py.core.registry import LocalInstanceRegistry, visiting
from evolution_py.errors import ApiError

if TYPE_CHECKING:
    from evolution_py.core.runtime import InstanceRuntime


@pytest.mark.parametrize(
    ("method", "path", "local"),
    [
        ("POST", "/chat/findMessages/shop", True),
        ("POST", "/chat/findChats/shop", True),
        ("GET", "/settings/find/shop", True),
        ("GET", "/webhook/find/shop", True),
        ("GET", "/chat/findMessages/shop", False),  # wrong method
        ("POST", "/settings/set/shop", False),  # a write
        ("POST", "/message/sendText/shop", False),  # the live channel
        ("GET", "/instance/connectionState/shop", False),
        ("GET", "/label/findLabels/shop", False),  # goes through the channel
        ("GET", "/settings/find/", False),  # no instance named
        ("GET", "/settings/find/shop/extra", False),
        ("GET", "/websocket/find/shop", True),  # every sink's row
        ("GET", "/rabbitmq/find/shop", True),
        ("GET", "/sqs/find/shop", True),
        ("GET", "/nats/find/shop", True),
        ("GET", "/kafka/find/shop", True),
        ("GET", "/pusher/find/shop", True),
        ("POST", "/pusher/set/shop", False),
        ("GET", "/events/dead/shop", True),
        ("DELETE", "/events/dead/shop", False),  # a write
        ("POST", "/events/replay/shop", False),
        ("GET", "/instance/logs/c0ffee", True),  # Go, by id or name
        ("GET", "/instance/c0ffee/advanced-settings", True),
        ("PUT", "/instance/c0ffee/advanced-settings", False),
        ("GET", "/instance/info/c0ffee", False),  # Go: the live state
        ("GET", "/instance/status", False),  # Go token routes: the live session
        ("GET", "/instance/qr", False),
        ("GET", "/chat/c0ffee/advanced-settings", False),
    ],
)
def test_only_listed_database_reads_are_local(method: str, path: str, local: bool) -> None:
    assert is_local_read(method, path) is local


def test_the_segment_that_names_the_instance() -> None:
    # The router answers locally only when this segment names the instance it looked up.
    assert local_read_of("GET", "/settings/find/shop") == "shop"
    assert local_read_of("GET", "/instance/logs/c0ffee") == "c0ffee"
    assert local_read_of("GET", "/instance/c0ffee/advanced-settings") == "c0ffee"
    # v2's `GET /instance/connect/{instanceName}` of an instance named "advanced-settings": the
    # segment is "connect", which is not that instance, so the router forwards it.
    assert local_read_of("GET", "/instance/connect/advanced-settings") == "connect"
    assert local_read_of("POST", "/message/sendText/shop") is None


def test_a_visiting_instance_is_seen_only_inside_its_block() -> None:
    registry = LocalInstanceRegistry()
    guest = cast("InstanceRuntime", SimpleNamespace(name="shop", id="id-1", token="tok"))
    assert registry.get("shop") is None
    with visiting(guest):
        assert registry.get("shop") is guest
        assert registry.require("shop") is guest
        assert registry.resolve("id-1") is guest
        assert registry.get("id-1") is None  # by name only, as for a loaded instance
        assert registry.get("other") is None
        assert "shop" in registry and "other" not in registry  # the guard's existence check: no query
        assert registry.all() == [] and len(registry) == 0
    assert registry.get("shop") is None and "shop" not in registry
    with pytest.raises(ApiError):
        registry.require("shop")
