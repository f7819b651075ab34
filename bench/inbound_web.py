"""Inbound WhatsApp Web messages at the neonize boundary: how fast the channel stores and emits what
the phone's socket delivers, against the same writes done with the raw driver, in one run.

    .venv/bin/python bench/inbound_web.py [--db sqlite|postgres] [--messages 3000] [--rounds 3] [--chats 50]

The server runs in this process (uvloop), as in the tests, on the fake neonize client
(tests/support/fake_neonize.py): each message is serialised and parsed back and handed to the
loop from another thread, as neonize's Go callback does, so the parse cost a real client pays is
in the measurement. Four modes, alternated round by round over the same number of messages:

- `plain`: an open WHATSAPP-BAILEYS instance without a sink (stored: message, contact, chat; the
  `messages.upsert`, `contacts.*`, `chats.update` events planned for no sink);
- `hooked`: a second instance whose webhook takes MESSAGES_UPSERT (bench/receiver.py, a separate
  process); timed until the receiver has counted every message;
- `raw`: the baseline, the same rows (message, contact and chat upserts, one outbox row) in one
  transaction per message with the raw driver (aiosqlite / asyncpg), 32 at a time. Its messages
  arrive the way ours do, through a fake client of their own (serialised, parsed back on another
  thread, posted to the loop with `run_coroutine_threadsafe`, as neonize does for any app on it),
  just as bench/inbound.py's raw app receives its messages over HTTP like ours;
- `direct`: the same raw writes called directly on the parsed events, with no delivery (this
  bench's baseline before 2026-12-05; `plain/direct` is printed beside `plain/raw`).

Rates are messages/s over the summed rounds; the ratios are what issue 22 asks for (plain/raw,
hooked/plain). Beside them, the event loop thread's CPU per message in each mode (the server and
the raw writer both run on it; the database's and the receiver's own CPU are not in it). The load
average is printed with the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvloop  # noqa: E402
from benchlib import free_port  # noqa: E402
from neonize.events import MessageEv  # noqa: E402
from neonize.proto import Neonize_pb2 as N  # noqa: E402
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as E  # noqa: E402
from neonize.utils.jid import build_jid  # noqa: E402
from tests.support.databases import database_env  # noqa: E402
from tests.support.fake_neonize import FakeClient  # noqa: E402
from tests.support.server import RunningServer, running_server  # noqa: E402
from tests.support.whatsmeow import FAKE_ENV, open_instance  # noqa: E402
from wrklib import load_average  # noqa: E402

CHUNK = 250  # messages handed to the loop per Go-thread callback burst
TEXT = "hello from the bench " + "x" * 64


def events(count: int, chats: int, tag: str) -> list[Any]:
    out = []
    for i in range(count):
        jid = build_jid(f"55119{i % chats:08d}")
        source = N.MessageSource(Chat=jid, Sender=jid, IsFromMe=False, IsGroup=False)
        msg_id = f"3EB0{tag}{i:012d}".upper()
        info = N.MessageInfo(MessageSource=source, ID=msg_id, Pushname=f"Sender {i % chats}", Timestamp=1717000000,
                             Type="text")  # fmt: skip
        out.append(N.Message(Info=info, Message=E.Message(conversation=TEXT)))
    return out


async def push_all(client: FakeClient, batch: list[Any]) -> None:
    for start in range(0, len(batch), CHUNK):
        await client.push(*batch[start : start + CHUNK])


_COUNTER: list[httpx.AsyncClient] = []  # one client for every poll: a new one per poll cost ~2 % of the loop


async def received(port: int) -> int:
    if not _COUNTER:
        _COUNTER.append(httpx.AsyncClient())
    return int((await _COUNTER[0].get(f"http://127.0.0.1:{port}/count")).text)


CPU: dict[str, float] = {}  # mode → the event loop thread's CPU seconds over its rounds


async def timed(run: Callable[[], Awaitable[None]], mode: str = "") -> float:
    """Wall seconds of `run`; the loop thread's CPU seconds are added to CPU[mode] (steadier than the
    rate on a shared box: another process's load moves the rate more than the CPU per message)."""
    started, cpu = time.perf_counter(), time.thread_time()
    await run()
    CPU[mode] = CPU.get(mode, 0.0) + time.thread_time() - cpu
    return time.perf_counter() - started


class RawWriter:
    """The baseline: bench/raw_send_app.py's inbound transaction, without HTTP; `run` receives the
    events through a fake client as ours does, `run_direct` calls it on them directly."""

    def __init__(self, dsn: str | None, folder: Path) -> None:
        self.dsn = dsn
        self.path = folder / "raw.db"
        self.pool: Any = None
        self.db: Any = None
        self.lock = asyncio.Lock()
        self.client: FakeClient | None = None  # delivers the raw writer's messages as neonize would

    async def start(self) -> None:
        sys.path.insert(0, str(ROOT / "bench"))
        import os  # noqa: PLC0415

        os.environ.setdefault("RAW_DB", self.dsn or str(self.path))
        os.environ.setdefault("RAW_KEY", "unused")
        import raw_send_app  # noqa: PLC0415 - reads RAW_DB at import

        self.app = raw_send_app
        await raw_send_app.startup()

    async def stop(self) -> None:
        state = self.app.state
        if "db" in state:
            await state["db"].close()  # its worker thread would keep the process alive
        if "pool" in state:
            await state["pool"].close()

    async def write(self, event: Any) -> None:
        info = event.Info
        jid = f"{info.MessageSource.Chat.User}@s.whatsapp.net"
        body = {"numberId": "raw", "key": {"id": info.ID, "remoteJid": jid}, "pushName": info.Pushname,
                "message": {"conversation": event.Message.conversation}}  # fmt: skip
        await self.app.inbound.fn(request=_Authorised(), data=body)

    async def run_direct(self, batch: list[Any]) -> None:
        gate = asyncio.Semaphore(32)

        async def one(event: Any) -> None:
            async with gate:
                await self.write(event)

        await asyncio.gather(*(one(e) for e in batch))

    async def run(self, batch: list[Any]) -> None:
        if self.client is None:
            gate = asyncio.Semaphore(32)

            async def on_message(_client: Any, event: Any) -> None:
                async with gate:
                    await self.write(event)

            self.client = FakeClient("raw-bench")
            self.client.loop = asyncio.get_running_loop()
            self.client.event(MessageEv)(on_message)
        await push_all(self.client, batch)


class _Authorised:
    headers = {"apikey": "unused"}


async def bench(args: argparse.Namespace, port: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="inbound-web-"))
    async with database_env(args.db, folder) as db_env, running_server(folder, {**db_env, **FAKE_ENV}) as srv:
        raw = RawWriter(None if args.db == "sqlite" else db_env["DATABASE_CONNECTION_URI"], folder)
        await raw.start()
        _, plain = await open_instance(srv, "plain")
        _, hooked = await open_instance(srv, "hooked")
        await set_webhook(srv, port)
        totals = {"plain": 0.0, "hooked": 0.0, "raw": 0.0, "direct": 0.0}
        for round_no in range(args.rounds):
            for mode in args.modes.split(","):
                batch = events(args.messages, args.chats, f"{mode[0].upper()}{round_no:02d}")
                if mode == "plain":
                    totals[mode] += await timed(lambda: push_all(plain, batch), mode)  # noqa: B023
                elif mode == "hooked":
                    before = await received(port)
                    totals[mode] += await timed(lambda: hooked_run(hooked, batch, port, before), mode)  # noqa: B023
                elif mode == "raw":
                    totals[mode] += await timed(lambda: raw.run(batch), mode)  # noqa: B023
                else:
                    totals[mode] += await timed(lambda: raw.run_direct(batch), mode)  # noqa: B023
        n = args.messages * args.rounds
        rates = {mode: n / seconds for mode, seconds in totals.items() if seconds}
        pairs = (("plain", "raw"), ("hooked", "plain"), ("plain", "direct"))
        ratios = {f"{a}/{b}": round(rates[a] / rates[b], 2) for a, b in pairs if a in rates and b in rates}
        cpu_us = {mode: round(seconds * 1e6 / n) for mode, seconds in CPU.items()}
        print(json.dumps({"db": args.db, "messages": n, "load": load_average(),
                          "rates": {mode: round(rate) for mode, rate in rates.items()}, **ratios,
                          "loop_cpu_us_per_message": cpu_us}))  # fmt: skip
        await raw.stop()


async def hooked_run(client: FakeClient, batch: list[Any], port: int, before: int) -> None:
    await push_all(client, batch)
    while await received(port) < before + len(batch):  # noqa: ASYNC110 - another process's counter
        await asyncio.sleep(0.01)


async def set_webhook(srv: RunningServer, port: int) -> None:
    answer = await srv.client.post(
        "/webhook/set/hooked",
        headers=srv.headers(),
        json={"webhook": {"enabled": True, "url": f"http://127.0.0.1:{port}/hook", "events": ["MESSAGES_UPSERT"]}},
    )
    assert answer.status_code in (200, 201), answer.text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--modes", default="plain,hooked,raw,direct", help="a profile may want one: --modes hooked")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("httpx", "alembic", "evolution_py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    port = free_port()
    receiver = subprocess.Popen([sys.executable, str(ROOT / "bench" / "receiver.py"), str(port)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
    try:
        uvloop.run(bench(args, port))
    finally:
        receiver.terminate()
        receiver.wait(10)


if __name__ == "__main__":
    main()
