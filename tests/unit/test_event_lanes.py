"""EventLanes (channels/whatsapp_web/lanes.py): per-chat order, chats side by side, barriers alone."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from evolution_py.channels.whatsapp_web.lanes import EventLanes, chat_of


async def test_events_of_one_chat_keep_their_order_while_chats_run_side_by_side() -> None:
    lanes = EventLanes(limit=8)
    log: list[str] = []
    running = 0
    most = 0

    async def handle(chat: str | None, name: str, pause: float) -> None:
        nonlocal running, most
        async with lanes.turn(chat):
            running += 1
            most = max(most, running)
            log.append(f"start {name}")
            await asyncio.sleep(pause)
            log.append(f"end {name}")
            running -= 1

    # Arrival order: a1 (slow), b1, a2, b2; then a barrier; then a3 and b3.
    tasks = [
        asyncio.create_task(handle("a", "a1", 0.05)),
        asyncio.create_task(handle("b", "b1", 0.01)),
        asyncio.create_task(handle("a", "a2", 0.0)),
        asyncio.create_task(handle("b", "b2", 0.0)),
        asyncio.create_task(handle(None, "barrier", 0.01)),
        asyncio.create_task(handle("a", "a3", 0.0)),
        asyncio.create_task(handle("b", "b3", 0.0)),
    ]
    await asyncio.gather(*tasks)
    assert log.index("end a1") < log.index("start a2")  # a2 waited for a1
    assert log.index("end b2") < log.index("end a1")  # chat b did not wait for chat a
    assert most >= 2
    barrier_start = log.index("start barrier")
    assert all(log.index(f"end {n}") < barrier_start for n in ("a1", "a2", "b1", "b2"))
    assert log.index("end barrier") < min(log.index("start a3"), log.index("start b3"))


async def test_at_most_limit_chat_events_run_at_once() -> None:
    lanes = EventLanes(limit=3)
    running = 0
    most = 0

    async def handle(chat: str) -> None:
        nonlocal running, most
        async with lanes.turn(chat):
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(handle(f"chat{i}") for i in range(10)))
    assert most == 3


async def test_a_cancelled_or_failed_event_lets_the_next_one_go() -> None:
    lanes = EventLanes()
    gate = asyncio.Event()
    order: list[str] = []

    async def slow() -> None:
        async with lanes.turn("a"):
            await gate.wait()

    async def waiting() -> None:
        async with lanes.turn("a"):
            order.append("second")  # never runs: cancelled while waiting its turn

    async def failing() -> None:
        async with lanes.turn("a"):
            raise RuntimeError("handler bug")

    async def last() -> None:
        async with lanes.turn("a"):
            order.append("last")

    first = asyncio.create_task(slow())
    second = asyncio.create_task(waiting())
    third = asyncio.create_task(failing())
    fourth = asyncio.create_task(last())
    await asyncio.sleep(0.01)
    second.cancel()
    gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    with pytest.raises(RuntimeError):
        await third
    await asyncio.wait_for(fourth, 1)
    assert order == ["last"]
    assert not lanes._tails and not lanes._running and lanes._barrier is None  # nothing held


def test_the_chat_of_a_message_and_of_a_receipt() -> None:
    """On neonize's own protobuf types, as the channel receives them."""
    from neonize.proto.Neonize_pb2 import Message, Receipt

    message, receipt = Message(), Receipt()
    for chat in (message.Info.MessageSource.Chat, receipt.MessageSource.Chat):
        chat.User, chat.Server = "5511999990000", "s.whatsapp.net"
    assert chat_of(message) == chat_of(receipt) == "5511999990000@s.whatsapp.net"
    assert chat_of(SimpleNamespace()) is None


async def test_a_chat_event_cancelled_while_waiting_for_a_slot_passes_it_on() -> None:
    lanes = EventLanes(limit=1)
    order: list[str] = []
    release = asyncio.Event()

    async def handle(chat: str, name: str, hold: bool = False) -> None:
        async with lanes.turn(chat):
            order.append(name)
            if hold:
                await release.wait()

    first = asyncio.create_task(handle("a", "a", hold=True))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(handle("b", "b"))
    third = asyncio.create_task(handle("c", "c"))
    await asyncio.sleep(0.01)
    assert order == ["a"]  # one slot: b and c wait for it
    waiting.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, third), 1)
    assert order == ["a", "c"]
    assert waiting.cancelled()
    # and the slot is free again
    await asyncio.wait_for(handle("d", "d"), 1)
    assert order == ["a", "c", "d"]
