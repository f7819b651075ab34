"""The WhatsApp Web session: the one road to neonize answers in bounded time, and only while a
client is current."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from evolution_py.channels.base import ChannelError, InstanceSettings, ProxyConfig
from evolution_py.channels.whatsapp_web.session import CallTimedOut, Session


class Context:
    instance_id = "unit-session"
    name = "unit"
    number = None
    token = None
    settings = InstanceSettings()
    proxy = ProxyConfig()
    store: Any = None
    data_dir = ""

    async def emit(self, event: str, data: Any) -> None:
        return None

    async def update_connection(self, state: str, **_fields: Any) -> None:
        return None


class StalledClient:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.finished = False

    async def get_group_info(self, _jid: Any) -> str:
        await self.release.wait()
        self.finished = True
        return "late answer"


async def test_a_call_that_does_not_answer_in_time_is_a_clear_400_and_goes_on_in_the_background() -> None:
    session = Session(Context(), call_timeout=0.2)  # type: ignore[arg-type]
    client = StalledClient()
    session.client = client
    started = time.monotonic()
    with pytest.raises(CallTimedOut) as timed_out:
        await session.call(lambda c: c.get_group_info("g"))
    assert time.monotonic() - started < 2
    assert (timed_out.value.status, timed_out.value.messages) == (400, ["WhatsApp did not answer in time"])
    # never cancelled (cancelling would run Go code on the loop thread): it ends when Go answers
    client.release.set()
    await asyncio.sleep(0.05)
    assert client.finished
    assert await session.call(lambda c: c.get_group_info("g"), limit=1) == "late answer"


async def test_no_current_client_means_not_connected() -> None:
    session = Session(Context(), call_timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(ChannelError) as closed:
        session.require_open()
    assert closed.value.messages == ['The "unit" instance is not connected']
    session.client = StalledClient()
    generation = session.retire()
    assert session.client is None and session.is_current(generation) and not session.is_current(generation - 1)
    with pytest.raises(ChannelError) as gone:
        await session.call(lambda c: c.get_group_info("g"))
    assert gone.value.messages == ['The "unit" instance is not connected']
