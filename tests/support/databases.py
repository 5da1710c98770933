"""Test databases: a fresh, migrated SQLite file or PostgreSQL database per test session.

TEST_DATABASE selects the backend ("sqlite", the default, or "postgresql");
TEST_POSTGRES_URL names the PostgreSQL server's maintenance database.
"""

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import db.tables  # noqa: F401  (registers the tables on the metadata)
from db.migrate import upgrade_to_head

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Rows these tables gain on failed requests are intended (audit trail, sign-in throttling).
UNCHANGED_EXCLUDED_TABLES = {"audit_events", "sign_in_failures"}
# Columns written at most once a minute whenever a credential is used.
UNCHANGED_EXCLUDED_COLUMNS = {"last_used_at", "last_seen_at", "updated_at"}


def backend() -> str:
    """Return the backend the tests run on."""
    name = os.environ.get("TEST_DATABASE", "sqlite")
    if name not in {"sqlite", "postgresql"}:
        raise RuntimeError(f"TEST_DATABASE must be 'sqlite' or 'postgresql', not {name!r}")
    return name


def _postgres_admin_dsn() -> str:
    url = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_execute(statement: str) -> None:
    connection = await asyncpg.connect(_postgres_admin_dsn(), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_database(tmp_dir: Path) -> str:
    """Create and migrate an empty database; return its async URL."""
    if backend() == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / 'test.db'}"
    else:
        name = f"service_users_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_postgres_execute(f'CREATE DATABASE "{name}"'))
        base = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
        url = base.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    return url


def drop_database(url: str) -> None:
    """Drop a PostgreSQL test database; SQLite files go with their temporary folder."""
    if backend() == "postgresql":
        name = make_url(url).database
        asyncio.run(_postgres_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def reset_database(engine: AsyncEngine) -> None:
    """Delete every row a test may have written, keeping the system roles from the migration."""
    async with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name == "roles":
                await connection.execute(text("DELETE FROM roles WHERE is_system = false"))
            else:
                await connection.execute(table.delete())


async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple]]:
    """Return every row of the business tables, to prove a failed request changed nothing."""
    tables = {}
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in UNCHANGED_EXCLUDED_TABLES:
                continue
            columns = [c for c in table.columns if c.name not in UNCHANGED_EXCLUDED_COLUMNS]
            rows = (await connection.execute(table.select().with_only_columns(*columns))).all()
            tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables
