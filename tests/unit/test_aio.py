"""aio.both: gather's behaviour for two awaitables, with one task."""

from __future__ import annotations

import asyncio

import pytest

from evolution_py.aio import both


async def test_both_answers_in_order_and_first_steps_first() -> None:
    steps: list[str] = []

    async def step(name: str, value: int) -> int:
        steps.append(f"{name} starts")
        await asyncio.sleep(0.01 if name == "first" else 0)
        steps.append(f"{name} ends")
        return value

    assert await both(step("first", 1), step("second", 2)) == (1, 2)
    assert steps[:2] == ["first starts", "second starts"]
    assert steps.index("second ends") < steps.index("first ends")  # side by side, not in turn


async def test_a_failing_first_is_raised_and_second_still_finishes() -> None:
    finished = asyncio.Event()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("first")

    async def slow() -> None:
        await asyncio.sleep(0.02)
        finished.set()

    with pytest.raises(ValueError, match="first"):
        await both(fails(), slow())
    await asyncio.wait_for(finished.wait(), 1)


async def test_a_failing_second_is_raised() -> None:
    async def fine() -> int:
        await asyncio.sleep(0.01)
        return 1

    async def fails() -> None:
        raise KeyError("second")

    with pytest.raises(KeyError):
        await both(fine(), fails())


async def test_cancelling_the_caller_cancels_both() -> None:
    cancelled: list[str] = []

    async def waits(name: str) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    caller = asyncio.create_task(both(waits("first"), waits("second")))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.sleep(0)
    assert sorted(cancelled) == ["first", "second"]
