"""Migration 0007_cloud_api: the `Template` table it makes is the model's, on SQLite and PostgreSQL,
and it goes down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from evolution_py.channels.cloud_api.models import Template
from evolution_py.config import load_settings
from evolution_py.store.db import Database
from evolution_py.store.migrate import alembic_config
from evolution_py.store.models import Base
from tests.support.databases import database_env


async def test_template_table_matches_the_model_and_migrates_down_and_up(tmp_path: Path, db_kind: str) -> None:
    async with database_env(db_kind, tmp_path) as env:
        db = Database(load_settings(environ={**env, "DATA_DIR": str(tmp_path)}).database_url)
        try:
            await db.migrate()
            async with db.engine.connect() as connection:

                def differences(sync: object) -> list[object]:
                    context = MigrationContext.configure(sync)  # type: ignore[arg-type]
                    found = compare_metadata(context, Base.metadata)
                    return [d for d in found if Template.__tablename__ in repr(d)]

                assert await connection.run_sync(differences) == []

            async with db.engine.begin() as connection:
                await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0004_outbox_scope"))
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                assert "Template" not in tables
            await db.migrate()
            async with db.engine.connect() as connection:
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
                assert "Template" in tables
        finally:
            await db.dispose()
