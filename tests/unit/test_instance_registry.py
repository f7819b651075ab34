"""The local instance registry: lookups by name, id and token follow every add and remove, and a
removed instance's background tasks stop."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from evolution_py.core.registry import LocalInstanceRegistry
from evolution_py.core.runtime import InstanceRuntime


class FakeRuntime:
    def __init__(self, name: str, token: str | None, instance_id: str | None = None, number: str | None = None) -> None:
        self.name = name
        self.token = token
        self.id = instance_id or f"id-{name}"
        self.number = number
        self.cancelled = 0

    def cancel_tasks(self) -> None:
        self.cancelled += 1


def _runtime(name: str, token: str | None, instance_id: str | None = None, number: str | None = None) -> Any:
    return cast(InstanceRuntime, FakeRuntime(name, token, instance_id, number))


def _fake(runtime: object) -> FakeRuntime:
    """The fake behind a runtime (an `is` assert narrows the variable to `InstanceRuntime | None`)."""
    assert isinstance(runtime, FakeRuntime)
    return runtime


def test_index_follows_every_mutation() -> None:
    reg = LocalInstanceRegistry()
    a, b, c = _runtime("a", "tok-a"), _runtime("b", "tok-b"), _runtime("c", None)
    reg.add(a)
    assert reg.find_by_token("tok-a") == [a]
    assert reg.find_by_token("tok-b") == []
    reg.add(b)
    reg.add(c)
    assert reg.find_by_token("tok-b") == [b]
    assert reg.find_by_token("") == []
    assert reg.remove("a") is a
    assert reg.find_by_token("tok-a") == []
    assert _fake(a).cancelled == 1
    reg.remove("b")
    assert reg.find_by_token("tok-b") == []
    x, y = _runtime("x", "same"), _runtime("y", "same")
    reg.add(x)
    reg.add(y)
    assert {r.name for r in reg.find_by_token("same")} == {"x", "y"}
    for name in ("x", "y", "c"):
        reg.remove(name)
    assert reg.find_by_token("same") == []
    assert reg.find_by_token("tok-a ") == []  # no near matches
    assert len(reg) == 0 and reg.all() == []
    assert reg.remove("missing") is None


def test_resolve_by_name_then_id_and_replace() -> None:
    reg = LocalInstanceRegistry()
    first = _runtime("alpha", "tok", "id-1")
    reg.add(first)
    assert reg.resolve("alpha") is first and reg.resolve("id-1") is first
    assert reg.resolve("nope") is None and "alpha" in reg
    second = _runtime("alpha", "tok-2", "id-2")
    reg.add(second)  # the same name again replaces the entry and its id / token index
    assert reg.resolve("id-1") is None and reg.resolve("id-2") is second
    assert reg.find_by_token("tok") == [] and reg.find_by_token("tok-2") == [second]
    assert reg.all() == [second]


async def test_runtime_tasks_stop_when_cancelled_but_not_the_caller() -> None:
    runtime = InstanceRuntime.__new__(InstanceRuntime)
    runtime._tasks = set()
    sleeper = runtime.spawn(asyncio.sleep(60))
    finished: list[str] = []

    async def self_cancelling() -> None:
        runtime.cancel_tasks()  # e.g. the auto-delete timer deleting its own instance
        await asyncio.sleep(0)
        finished.append("ran on")

    own = runtime.spawn(self_cancelling())
    await own
    assert finished == ["ran on"]
    await asyncio.sleep(0)
    assert sleeper.cancelled()


def test_lookup_by_number_follows_every_mutation_in_the_order_added() -> None:
    reg = LocalInstanceRegistry()
    a, b, c = _runtime("a", None, number="5511"), _runtime("b", None, number="5511"), _runtime("c", None)
    for runtime in (a, b, c):
        reg.add(runtime)
    assert reg.with_number("5511") == [a, b] == [r for r in reg.all() if r.number == "5511"]
    assert reg.with_number("") == [] and reg.with_number("5522") == []
    a2 = _runtime("a", None, number="5533")  # reloaded with another number: replaces a
    reg.add(a2)
    assert reg.with_number("5511") == [b]
    assert reg.with_number("5533") == [a2]
    reg.remove("b")
    assert reg.with_number("5511") == []
    reg.remove("a")
    assert reg.with_number("5533") == []
