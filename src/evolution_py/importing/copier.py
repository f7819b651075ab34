"""Copy one instance's rows of one table, page by page, from the checkpoint on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evolution_py.importing.destination import Destination
from evolution_py.importing.progress import DONE, Checkpoint, InstanceReport, Limits
from evolution_py.importing.source import SourceDb

Transform = Callable[[dict[str, Any]], dict[str, Any]]
# Rows of another of our tables that a page implies (e.g. the Chatwoot ledger from Message rows).
Derived = Callable[[list[dict[str, Any]]], tuple[str, list[dict[str, Any]]]]


@dataclass
class Job:
    source: SourceDb
    destination: Destination
    checkpoint: Checkpoint
    limits: Limits


async def copy_table(
    job: Job,
    report: InstanceReport,
    table: str,
    where: dict[str, Any],
    *,
    key: str = "id",
    transform: Transform | None = None,
    target: str | None = None,
    derived: Derived | None = None,
) -> None:
    """`table` rows matching `where` into our `target` (same name by default), ordered by `key`."""
    target = target or table
    after = job.checkpoint.get(report.id, target)
    if after == DONE:
        report.count(target)  # listed in the summary as nothing to do
        return
    count = report.count(target)
    pages = job.source.pages(table, key, where, after, job.limits.batch_size)
    # The next page is read from the old server while this one is written to ours (two pages in memory).
    upcoming = asyncio.ensure_future(anext(pages, None))
    try:
        while (page := await upcoming) is not None:
            upcoming = asyncio.ensure_future(anext(pages, None))
            rows = [job.destination.shape(target, transform(r) if transform else r) for r in page]
            inserted, present = await job.destination.insert_absent(target, rows)
            count.read += len(page)
            count.inserted += inserted
            count.present += present
            if derived is not None:
                other, other_rows = derived(rows)
                if other_rows:
                    shaped = [job.destination.shape(other, r) for r in other_rows]
                    done, there = await job.destination.insert_absent(other, shaped)
                    extra = report.count(other)
                    extra.read, extra.inserted, extra.present = (
                        extra.read + len(shaped),
                        extra.inserted + done,
                        extra.present + there,
                    )
            job.checkpoint.set(report.id, target, page[-1][key])
            job.limits.tick()
    finally:
        if not upcoming.done():
            upcoming.cancel()
            await asyncio.gather(upcoming, return_exceptions=True)
        await pages.aclose()
    job.checkpoint.set(report.id, target, DONE)


def dropped_columns(source: SourceDb, destination: Destination, table: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Source columns we have no place for (named in the summary)."""
    ours = set(destination.tables[table].c.keys()) if table in destination.tables else set()
    return [c for c in source.columns.get(table, []) if c not in ours and c not in extra]
