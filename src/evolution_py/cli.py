"""`evolution-py serve | migrate | key | version` (also `python -m evolution_py`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from evolution_py import UPSTREAM_VERSION, __version__, logsafe
from evolution_py.config import ConfigError, Settings, load_settings


def _settings(env_file: str) -> Settings:
    try:
        return load_settings(dotenv=Path(env_file))
    except ConfigError as exc:
        print(f"evolution-py: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def configure_logging(level: str, api_key: str = "") -> None:
    """LOG_LEVEL is upstream's switch for upstream's own logger: it sets ours (`evolution_py.*`);
    libraries log at INFO at most verbose, never DEBUG (378 lines of aiosqlite in 12 s otherwise)."""
    ours = logging.getLevelName(level.upper())
    libraries = max(ours, logging.INFO)
    # force=True: neonize calls logging.basicConfig(INFO) at import; ours must win.
    logging.basicConfig(level=libraries, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("evolution_py").setLevel(ours)
    # docs/security.md, "Logs": the database drivers' DEBUG lines are statements with their bound
    # values (tokens, passwords) and result rows; no pattern can tell which value is a secret.
    # Alembic says seven INFO lines (plugins, context) on every start: only its warnings matter.
    for name in ("sqlalchemy.engine", "aiosqlite", "asyncpg", "alembic"):
        logging.getLogger(name).setLevel(max(logging.WARNING, libraries))
    logsafe.remember(api_key)
    logsafe.install()


def library_log_level(level: str) -> str:
    """uvicorn's own level: LOG_LEVEL's, but never below info."""
    return level if logging.getLevelName(level.upper()) >= logging.INFO else "info"


def announce_key(settings: Settings) -> None:
    """Print the global key where it was just generated, else say where it is kept (never the key)."""
    key_file = Path(settings.data_dir) / "api-key"
    if settings.api_key_generated:
        print(
            "evolution-py: AUTHENTICATION_API_KEY was not set; generated a global API key and saved it in "
            f"{key_file} (`evolution-py key` shows it again):\n\n    {settings.api_key}\n",
            flush=True,
        )
    elif not settings.env.text("AUTHENTICATION_API_KEY"):
        print(f"evolution-py: global API key read from {key_file} (`evolution-py key` shows it)", flush=True)


def check_database(settings: Settings) -> None:
    """Stop with one line (cause first) when the database cannot be used."""
    from evolution_py.ops.preflight import database_problem  # noqa: PLC0415 - each command loads only what it runs

    problem = asyncio.run(database_problem(settings.database_url))
    if problem:
        print(f"evolution-py: cannot use the database: {problem}", file=sys.stderr)
        raise SystemExit(2)
    check_database_setup(settings)


def serve(settings: Settings, host: str | None) -> None:
    import uvicorn  # noqa: PLC0415 - each command loads only what it runs

    from evolution_py.app import build_asgi  # noqa: PLC0415 - each command loads only what it runs
    from evolution_py.serving import (  # noqa: PLC0415 - each command loads only what it runs
        connection_limits,
        fit_descriptor_limit,
        protocol_class,
    )

    configure_logging(settings.log_level, settings.api_key)
    announce_key(settings)
    check_database(settings)
    try:
        import uvloop  # noqa: F401, PLC0415 - optional: used if installed

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        app = build_asgi(settings, settle_heap=settings.gc_freeze)  # sinks read their own variables here
    except ConfigError as exc:
        print(f"evolution-py: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        limits = fit_descriptor_limit(connection_limits(settings.env))
    except ConfigError as exc:
        print(f"evolution-py: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    config = uvicorn.Config(
        app,
        host=host or limits.host,
        port=settings.server_port,
        loop=loop,
        http=protocol_class(limits),
        log_level=library_log_level(settings.log_level),
        lifespan="on",
        timeout_graceful_shutdown=10,
        # docs/security.md, "Connections": past the cap, requests are answered 503.
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=limits.keep_alive_timeout,
    )
    logsafe.install()  # uvicorn's own handlers, set up by Config
    # uvicorn.run's asyncio.run teardown would block on a stalled neonize dial (see _teardown).
    event_loop = (config.get_loop_factory() or asyncio.new_event_loop)()
    asyncio.set_event_loop(event_loop)
    try:
        event_loop.run_until_complete(uvicorn.Server(config).serve())
    except KeyboardInterrupt:
        pass
    _teardown(event_loop)


def _teardown(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio.run's teardown, except when a neonize dial is still stalled (black-holed network):
    cancelling its task makes neonize call Go `Stop()` on this thread, which blocks until the dial
    times out (~60 s), and joining its thread would too. The shutdown hooks already ran, so exit."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    stalled = [task for task in pending if getattr(task.get_coro(), "__qualname__", "").endswith(_NEONIZE_BLOCKING)]
    if stalled:
        logging.getLogger(__name__).warning("exiting past %d stalled WhatsApp connection(s)", len(stalled))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


# Coroutines of neonize (and of the channel's stop) that sit in a Go call a stalled dial holds.
_NEONIZE_BLOCKING = ("._connect_and_check", "NewAClient.stop")


def check_database_setup(settings: Settings) -> None:
    """A MySQL/MariaDB server too old or a database not in utf8mb4 stops the start with one line
    that says what to change (store/mysql.py), before anything else runs."""
    if settings.database_provider != "mysql":
        return
    from evolution_py.store.db import Database  # noqa: PLC0415 - each command loads only what it runs
    from evolution_py.store.mysql import DatabaseSetupError  # noqa: PLC0415 - each command loads only what it runs

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await db.check()
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except DatabaseSetupError as exc:
        print(f"evolution-py: database error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001 - out of reach now: the start itself waits for it and says so
        logging.getLogger(__name__).debug("database check skipped: %s", exc)


def migrate(settings: Settings) -> None:
    from evolution_py.store.db import Database  # noqa: PLC0415 - each command loads only what it runs

    configure_logging(settings.log_level, settings.api_key)
    announce_key(settings)
    check_database(settings)

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(run())
    print(f"evolution-py: database is at the latest schema ({settings.database_provider})")


def import_command(settings: Settings, args: argparse.Namespace) -> None:
    """`evolution-py import evolution-api|evolution-go --source-url ...` (importing/, docs/migrate.md)."""
    from evolution_py.importing.runner import ImportOptions, run_import  # noqa: PLC0415 - each command loads only what it runs
    from evolution_py.importing.source import SourceError  # noqa: PLC0415 - each command loads only what it runs

    configure_logging(settings.log_level, settings.api_key)
    if not args.dry_run:  # a dry run does not open (nor create) our database
        check_database(settings)
    options = ImportOptions(
        kind=args.kind,
        source_url=args.source_url,
        auth_url=args.auth_url,
        instances={n.strip() for n in args.instances.split(",") if n.strip()} if args.instances else None,
        dry_run=args.dry_run,
        restart=args.restart,
        instances_dir=Path(args.instances_dir) if args.instances_dir else None,
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        client_name=settings.client_name,
        session_dsn=settings.whatsmeow_session_dsn if settings.whatsmeow_session_store == "postgresql" else "",
    )
    options.limits.batch_size = args.batch_size
    try:
        asyncio.run(run_import(settings.database_url, settings.data_dir, options))
    except SourceError as exc:
        print(f"evolution-py import: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _import_parser(commands: Any) -> None:
    cmd = commands.add_parser("import", help="move an Evolution API / Evolution Go server's data here")
    cmd.add_argument("kind", choices=("evolution-api", "evolution-go"), help="what the old server is")
    cmd.add_argument("--source-url", required=True, help="the old server's database URL (read only)")
    cmd.add_argument(
        "--auth-url", default=None, help="evolution-go: its whatsmeow store (POSTGRES_AUTH_DB or a SQLite path)"
    )
    cmd.add_argument("--instances", default=None, help="comma-separated instance names (or ids); default all")
    cmd.add_argument("--dry-run", action="store_true", help="print what would move; write nothing")
    cmd.add_argument("--restart", action="store_true", help="forget the checkpoint and check every row again")
    cmd.add_argument("--instances-dir", default=None, help="evolution-api: its instances/ folder (Baileys keys)")
    cmd.add_argument("--redis-url", default=None, help="evolution-api: its Redis (CACHE_REDIS_URI), for Baileys keys")
    cmd.add_argument("--redis-prefix", default="evolution", help="evolution-api: CACHE_REDIS_PREFIX_KEY")
    cmd.add_argument("--batch-size", type=int, default=2000, help="rows per transaction")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="evolution-py", description="Evolution API compatible server")
    parser.add_argument("--env-file", default=".env", help="optional .env file read under the environment")
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="start the server")
    serve_cmd.add_argument("--host", default=None, help="bind address (default: SERVER_HOST, else 127.0.0.1)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("version", help="print the version")
    commands.add_parser("key", help="print the global API key (generated into DATA_DIR/api-key when unset)")
    _import_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "version":
        print(f"evolution-py {__version__} (Evolution API {UPSTREAM_VERSION} compatible)")
        return
    if args.command == "key":
        settings = _settings(args.env_file)
        if settings.api_key_generated:
            print(f"evolution-py: generated a global key into {Path(settings.data_dir) / 'api-key'}", file=sys.stderr)
        print(settings.api_key)
        return
    if args.command == "migrate":
        migrate(_settings(args.env_file))
        return
    if args.command == "import":
        import_command(_settings(args.env_file), args)
        return
    if args.command in (None, "serve"):
        serve(_settings(args.env_file), getattr(args, "host", None))
        return


if __name__ == "__main__":
    main()
