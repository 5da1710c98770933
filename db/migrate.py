"""Apply Alembic migrations programmatically, without an alembic.ini file."""

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Build the Alembic configuration for a database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration; blocks, so call it outside a running event loop."""
    _ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), "head")
    logger.info("database migrated to the latest revision")


async def upgrade_to_head_async(database_url: str) -> None:
    """Apply every pending migration from async code, in a worker thread with its own loop."""
    await asyncio.to_thread(upgrade_to_head, database_url)
