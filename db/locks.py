"""Row locks that serialise check-then-write sequences on SQLite and PostgreSQL alike."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.clock import utcnow
from db.tables import Role


async def lock_role(session: AsyncSession, role_id: str) -> None:
    """Take a write lock on a role row until the transaction ends.

    An UPDATE locks the row on PostgreSQL and takes the database write lock on SQLite, so a
    second transaction doing the same waits here and then reads the first one's committed
    changes. Call it before counting holders of the role and changing them.
    """
    await session.execute(update(Role).where(Role.id == role_id).values(updated_at=utcnow()))
