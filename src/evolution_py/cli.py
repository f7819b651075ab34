"""`evolution-py serve | migrate | version` (also `python -m evolution_py`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from evolution_py import UPSTREAM_VERSION, __version__
from evolution_py.config import ConfigError, Settings, load_settings


def _settings(env_file: str) -> Settings:
    try:
        return load_settings(dotenv=Path(env_file))
    except ConfigError as exc:
        print(f"evolution-py: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def configure_logging(level: str) -> None:
    # force=True: neonize calls logging.basicConfig(INFO) at import; ours must win.
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


def serve(settings: Settings, host: str) -> None:
    import uvicorn

    from evolution_py.app import create_app

    configure_logging(settings.log_level)
    if settings.api_key_generated:
        print(
            "evolution-py: AUTHENTICATION_API_KEY was not set; generated a global API key and saved it in "
            f"{Path(settings.data_dir) / 'api-key'}:\n\n    {settings.api_key}\n",
            flush=True,
        )
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        app = create_app(settings)  # sinks read their own variables here
    except ConfigError as exc:
        print(f"evolution-py: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=host,
        port=settings.server_port,
        loop=loop,
        log_level=settings.log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def migrate(settings: Settings) -> None:
    from evolution_py.store.db import Database

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(run())
    print(f"evolution-py: database is at the latest schema ({settings.database_provider})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="evolution-py", description="Evolution API compatible server")
    parser.add_argument("--env-file", default=".env", help="optional .env file read under the environment")
    commands = parser.add_subparsers(dest="command")
    serve_cmd = commands.add_parser("serve", help="start the server")
    serve_cmd.add_argument("--host", default="0.0.0.0")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    if args.command == "version":
        print(f"evolution-py {__version__} (Evolution API {UPSTREAM_VERSION} compatible)")
        return
    if args.command == "migrate":
        migrate(_settings(args.env_file))
        return
    if args.command in (None, "serve"):
        serve(_settings(args.env_file), getattr(args, "host", "0.0.0.0"))
        return


if __name__ == "__main__":
    main()
