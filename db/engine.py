"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

import logging
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.serialised_session import SerialisedAsyncSession

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work beside one writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution option that makes the next SQLite transaction take the write lock at BEGIN.
BEGIN_IMMEDIATE = "sqlite_begin_immediate"


def _disable_driver_begin(dbapi_connection, _record) -> None:
    # The driver would emit a plain BEGIN lazily before the first write, after reads already
    # saw a snapshot. So `_begin` below emits BEGIN itself, at the start of every transaction.
    dbapi_connection.isolation_level = None


def _begin(connection) -> None:
    if connection.get_execution_options().get(BEGIN_IMMEDIATE):
        # Waits for other writers before reading anything, so check-then-write sequences
        # see the latest committed data instead of failing with SQLITE_BUSY_SNAPSHOT.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an async engine for the URL, with SQLite pragmas applied to every connection."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            # The database contains password and token hashes, so its folder is private.
            Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        event.listen(engine.sync_engine, "connect", _disable_driver_begin)
        event.listen(engine.sync_engine, "begin", _begin)
    else:
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
    logger.info("database engine created for %s", url.render_as_string(hide_password=True))
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return a factory of sessions that keep loaded objects usable after commit.

    The sessions serialise their operations, because resolvers of one request share one.
    """
    return async_sessionmaker(
        engine, class_=SerialisedAsyncSession, expire_on_commit=False, autoflush=False
    )
