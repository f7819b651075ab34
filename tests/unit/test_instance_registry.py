"""The token index of the instance registry follows every change of the registry."""

from __future__ import annotations

from typing import Any

from evolution_py.instances.registry import InstanceRegistry


class FakeRuntime:
    def __init__(self, name: str, token: str | None) -> None:
        self.name = name
        self.token = token


def test_index_follows_every_mutation() -> None:
    reg = InstanceRegistry()
    a, b, c = FakeRuntime("a", "tok-a"), FakeRuntime("b", "tok-b"), FakeRuntime("c", None)
    reg["a"] = a  # type: ignore[assignment]
    assert reg.find_by_token("tok-a") == [a]
    assert reg.find_by_token("tok-b") == []
    reg["b"] = b  # type: ignore[assignment]
    reg["c"] = c  # type: ignore[assignment]
    assert reg.find_by_token("tok-b") == [b]
    assert reg.find_by_token("") == []
    reg.pop("a")
    assert reg.find_by_token("tok-a") == []
    del reg["b"]
    assert reg.find_by_token("tok-b") == []
    shared: dict[str, Any] = {"x": FakeRuntime("x", "same"), "y": FakeRuntime("y", "same")}
    reg.update(shared)
    assert {r.name for r in reg.find_by_token("same")} == {"x", "y"}
    reg.clear()
    assert reg.find_by_token("same") == []
    assert reg.find_by_token("tok-a ") == []  # no near matches
