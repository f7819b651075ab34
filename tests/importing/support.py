"""Helpers shared by the import tests: run an import in-process, fingerprint our database, a fake
Baileys converter."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from evolution_py.config import load_settings
from evolution_py.importing.destination import our_tables
from evolution_py.importing.progress import InstanceReport, Limits
from evolution_py.importing.runner import ImportOptions, run_import
from evolution_py.store.db import Database

TABLES = (
    "Instance",
    "Setting",
    "Proxy",
    "Webhook",
    "Rabbitmq",
    "Nats",
    "Websocket",
    "Kafka",
    "Pusher",
    "Chatwoot",
    "Typebot",
    "TypebotSetting",
    "Template",
    "Label",
    "Contact",
    "Chat",
    "Message",
    "MessageUpdate",
    "ChatwootMirror",
)


def database_url(env: dict[str, str], data_dir: Path) -> str:
    return load_settings(
        environ={**env, "DATA_DIR": str(data_dir), "AUTHENTICATION_API_KEY": "test-global-key-0123456789"}
    ).database_url


async def run(env: dict[str, str], data_dir: Path, kind: str, source: str, **options: Any) -> list[InstanceReport]:
    lines: list[str] = []
    reports = await run_import(
        database_url(env, data_dir),
        str(data_dir),
        ImportOptions(kind=kind, source_url=source, **options),
        out=lines.append,
    )
    run.last_output = "\n".join(lines)  # type: ignore[attr-defined]
    return reports


async def fingerprint_or_none(env: dict[str, str], data_dir: Path) -> dict[str, tuple[int, str]] | None:
    """None while our database has no schema yet (nothing was written)."""
    try:
        return await fingerprint(env, data_dir)
    except Exception:  # noqa: BLE001 - "relation does not exist" from whichever driver
        return None


async def fingerprint(env: dict[str, str], data_dir: Path) -> dict[str, tuple[int, str]]:
    """Per table: row count and a digest of every (id, updatedAt): any insert or update shows."""
    tables = our_tables()
    db = Database(database_url(env, data_dir))
    out: dict[str, tuple[int, str]] = {}
    try:
        async with db.session() as session:
            for name in TABLES:
                table = tables[name]
                stamp = table.c.updatedAt if "updatedAt" in table.c else table.c.id
                count = await session.scalar(select(func.count()).select_from(table))
                digest = hashlib.sha256()
                for row in await session.execute(select(table.c.id, stamp).order_by(table.c.id)):
                    digest.update(f"{row[0]}|{row[1]}\n".encode())
                out[name] = (int(count or 0), digest.hexdigest()[:16])
    finally:
        await db.dispose()
    return out


@dataclass
class FakeConversion:
    jid: str
    skipped: list[str]


@dataclass
class FakeConverter:
    """Records what it was given; writes a marker file where the session would go."""

    seen: list[dict[str, str]] = field(default_factory=list)

    def convert(self, files: Mapping[str, str]) -> FakeConversion:
        self.seen.append(dict(files))
        return FakeConversion(jid="5511900000001:7@s.whatsapp.net", skipped=["sender keys: 1 not converted"])

    def write(self, conversion: Any, path: Path) -> None:
        path.write_text(conversion.jid)


def limits(stop_after: int | None = None, batch: int = 2000) -> Limits:
    return Limits(batch_size=batch, stop_after_batches=stop_after)


def rss_mb() -> float:
    """The process's resident size now (not its high-water mark, which earlier tests may have set)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@dataclass
class RssSampler:
    """Samples the resident size every 20 ms while a run goes on (the run awaits its databases often)."""

    start: float = 0.0
    peak: float = 0.0
    task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RssSampler:
        gc.collect()
        self.start = self.peak = rss_mb()
        self.task = asyncio.create_task(self._sample())
        return self

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.02)

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.peak = max(self.peak, rss_mb())

    @property
    def grown(self) -> float:
        return self.peak - self.start
