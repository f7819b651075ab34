"""Handler wrapping of the WhatsApp Web channel: an exception inside a handler is logged (neonize
would drop it silently) and the next event is handled as usual; events of a replaced client are
ignored."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from neonize.proto import Neonize_pb2 as N
from neonize.utils.jid import build_jid

from evolution_py.channels.base import ChannelError, InstanceSettings, ProxyConfig
from evolution_py.channels.whatsapp_web import receive
from evolution_py.channels.whatsapp_web.channel import WhatsAppWebChannel
from evolution_py.config import Env, Settings
from tests.support.fake_neonize import FakeClient, create


class Context:
    instance_id = "unit-handlers"
    name = "unit"
    number = None
    token = None
    owner_jid = None
    settings = InstanceSettings()
    proxy = ProxyConfig()
    store: Any = None
    outbound: Any = None  # these handlers fetch no URL
    cache: Any = None

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir
        self.events: list[tuple[str, Any]] = []
        self.states: list[str] = []

    async def emit(self, event: str, data: Any, *, stores_message: bool = False) -> None:
        if stores_message and self.store is not None:
            await self.store.save_message(data)
        self.events.append((event, data))

    async def emit_all(self, events: list[tuple[str, Any]]) -> None:
        self.events.extend(events)

    async def record_sent(self, record: dict[str, Any]) -> None:
        self.events.append(("send.message", record))

    async def update_connection(self, state: str, **_fields: Any) -> None:
        self.states.append(state)

    async def log(self, level: str, message: str, **metadata: Any) -> None:
        return None


async def test_handler_errors_are_logged_and_do_not_stop_the_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = Context(str(tmp_path))
    ctx.instance_id = f"unit-{tmp_path.name}"
    channel = WhatsAppWebChannel(ctx, Settings(data_dir=str(tmp_path), env=Env({})), client_factory=create)
    await channel.connect()
    client = FakeClient.of(ctx.instance_id)
    # the lifecycle and the features share one session: the current client, and require_open()
    assert channel.client is client and channel.ctx is ctx
    with pytest.raises(ChannelError, match='The "unit" instance is not connected'):
        channel.require_open()
    presence = N.Presence(From=build_jid("5511988887777"), Unavailable=False, LastSeen=0)

    def broken(_event: Any) -> dict[str, Any]:
        raise ValueError("payload bug")

    monkeypatch.setattr(receive, "presence_payload", broken)
    with caplog.at_level(logging.ERROR):
        await client.push(presence)
    assert any("Presence handler failed" in r.getMessage() and r.exc_info for r in caplog.records)
    monkeypatch.undo()
    await client.push(presence)
    assert ctx.events[-1][0] == "presence.update"

    # a replaced client's late events change nothing
    await channel.restart()
    replaced = FakeClient.all_of(ctx.instance_id)[0]
    before = len(ctx.events)
    await replaced.push(presence)
    assert len(ctx.events) == before
    await channel.close()


async def test_fake_client_covers_other_neonize_methods() -> None:
    fake = FakeClient("unused.db", uuid="unit-fake-methods")
    fake.answers["get_joined_groups"] = ["g"]
    assert await fake.get_joined_groups() == ["g"]
    assert await fake.leave_group("jid") is None
    assert fake.names() == ["get_joined_groups", "leave_group"]
    with pytest.raises(AttributeError):
        fake.no_such_method  # noqa: B018


def test_backoff_is_jittered_exponential_and_capped(tmp_path: Path) -> None:
    env = Env({"WHATSMEOW_RECONNECT_BASE_SECONDS": "2", "WHATSMEOW_RECONNECT_MAX_SECONDS": "60"})
    channel = WhatsAppWebChannel(
        Context(str(tmp_path)), Settings(data_dir=str(tmp_path), env=env), client_factory=create
    )
    for failures, ceiling in ((1, 2.0), (2, 4.0), (4, 16.0), (10, 60.0)):
        delays = [channel.backoff_delay(failures) for _ in range(200)]
        assert all(0.5 * ceiling <= d <= 1.5 * ceiling for d in delays)
        assert max(delays) - min(delays) > 0.2 * ceiling  # jitter spreads instances apart


def test_fake_client_methods_have_neonize_signatures() -> None:
    import inspect

    from neonize.aioze.client import NewAClient

    own = {name for name, value in vars(FakeClient).items() if inspect.iscoroutinefunction(value)}
    helpers = {"push", "push_qr", "pair", "_blocked"}
    for name in sorted(own - helpers):
        real = getattr(NewAClient, name)
        fake = getattr(FakeClient, name)
        real_params = [p.name for p in inspect.signature(real).parameters.values()]
        fake_params = [p.name for p in inspect.signature(fake).parameters.values()]
        # the fake may accept extra trailing parameters, never fewer or renamed ones
        assert fake_params[: len(real_params)] == real_params, (name, real_params, fake_params)
    init = [p.name for p in inspect.signature(NewAClient.__init__).parameters.values()]
    assert [p.name for p in inspect.signature(FakeClient.__init__).parameters.values()] == init
    for prop in ("is_connected", "is_logged_in"):
        assert isinstance(inspect.getattr_static(NewAClient, prop), property)
        assert isinstance(inspect.getattr_static(FakeClient, prop), property)
