"""One import run: open both databases, migrate ours, move instance by instance, print the summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evolution_py.importing import evolution_api, evolution_go
from evolution_py.importing.copier import Job
from evolution_py.importing.destination import Destination
from evolution_py.importing.progress import Checkpoint, InstanceReport, Limits
from evolution_py.importing.report import dry_run_table, summary_table
from evolution_py.importing.session_move import move_session
from evolution_py.importing.session_source import Converter, SessionOptions
from evolution_py.importing.source import SourceDb, SourceError, open_source
from evolution_py.store.db import Database

KINDS = ("evolution-api", "evolution-go")


@dataclass
class ImportOptions:
    kind: str
    source_url: str
    auth_url: str | None = None  # Evolution Go's whatsmeow store, when not in the source database
    instances: set[str] | None = None
    dry_run: bool = False
    restart: bool = False  # ignore the checkpoint (the copy stays insert-if-absent)
    instances_dir: Path | None = None
    redis_url: str | None = None
    redis_prefix: str = "evolution"
    limits: Limits = field(default_factory=Limits)
    converter: Converter | None = None
    client_name: str | None = None  # ours (DATABASE_CONNECTION_CLIENT_NAME): instances of another are not loaded
    # WHATSMEOW_SESSION_STORE=postgresql: the neonize DSN; each written session file moves into PostgreSQL
    session_dsn: str = ""


async def run_import(
    database_url: str, data_dir: str, options: ImportOptions, out: Callable[[str], None] = print
) -> list[InstanceReport]:
    if options.kind not in KINDS:
        raise SourceError(f"unknown source kind {options.kind!r}")
    source = await open_source(options.source_url)
    auth: SourceDb | None = None
    db = Database(database_url)
    try:
        required = "Instance" if options.kind == "evolution-api" else "instances"
        if not source.has(required):
            raise SourceError(f"the source database has no {required!r} table: is it {options.kind}'s?")
        if options.kind == "evolution-go":
            auth = source if not options.auth_url else await open_source(options.auth_url)
            if not any(n.startswith("whatsmeow_") for n in auth.columns):
                auth = None
        if not options.dry_run:
            await db.migrate()
        checkpoint = Checkpoint.for_source(data_dir, options.kind, options.source_url, enabled=not options.dry_run)
        if options.restart:
            checkpoint.state = {}
        job = Job(source, Destination(db), checkpoint, options.limits)
        return await _run(job, options, auth, data_dir, out)
    finally:
        await source.dispose()
        if auth is not None and auth is not source:
            await auth.dispose()
        await db.dispose()


async def _run(
    job: Job, options: ImportOptions, auth: SourceDb | None, data_dir: str, out: Callable[[str], None]
) -> list[InstanceReport]:
    api = options.kind == "evolution-api"
    rows = await (
        evolution_api.instances(job, options.instances) if api else evolution_go.instances(job, options.instances)
    )
    if options.instances:
        found = {r["name"] for r in rows} | {str(r["id"]) for r in rows}
        for missing in sorted(options.instances - found):
            out(f"evolution-py import: no instance {missing!r} in the source")
    if options.dry_run:
        counts = {}
        for row in rows:
            counts[row["name"]] = (
                await evolution_api.dry_run_counts(job, row)
                if api
                else await evolution_go.dry_run_counts(job, row, auth)
            )
        out(dry_run_table(counts))
        return []
    session = SessionOptions(
        data_dir=data_dir,
        instances_dir=options.instances_dir,
        redis_url=options.redis_url,
        redis_prefix=options.redis_prefix,
        converter=options.converter,
    )
    reports: list[InstanceReport] = []
    for number, row in enumerate(rows, 1):
        report = InstanceReport(id=str(row["id"]), name=row["name"])
        reports.append(report)
        started = time.monotonic()
        out(f"[{number}/{len(rows)}] {report.name} ...")
        if api:
            await evolution_api.import_instance(job, row, report, session)
        else:
            await evolution_go.import_instance(job, row, report, auth, data_dir)
        if options.session_dsn:
            moved_session = await move_session(job.destination.db.engine, options.session_dsn, data_dir, report.id)
            if moved_session:
                report.notes.append(moved_session)
        owner = row.get("clientName") if api else row.get("client_name")
        if options.client_name and owner and owner != options.client_name and not report.skipped:
            report.notes.append(
                f"clientName is {owner!r}: set DATABASE_CONNECTION_CLIENT_NAME={owner} here (as on the old server), "
                f"or this server ({options.client_name!r}) will not load the instance"
            )
        moved = sum(c.inserted for c in report.tables.values())
        out(
            f"[{number}/{len(rows)}] {report.name}: {moved} rows imported in {time.monotonic() - started:.1f} s"
            + (f" (skipped: {report.skipped})" if report.skipped else "")
        )
    unmoved = evolution_api.unmoved(job) if api else _go_unmoved(job)
    out(summary_table(reports, unmoved))
    return reports


def _go_unmoved(job: Job) -> list[str]:
    return [f"{t}: {why}" for t, why in evolution_go.NOT_MOVED.items() if job.source.has(t)]
