"""Row locks that serialise check-then-write sequences on SQLite and PostgreSQL alike."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.clock import utcnow
from db.tables import Role, User


async def lock_role(session: AsyncSession, role_id: str) -> None:
    """Take a write lock on a role row until the transaction ends.

    An UPDATE locks the row on PostgreSQL and takes the database write lock on SQLite, so a
    second transaction doing the same waits here and then reads the first one's committed
    changes. Call it before counting holders of the role and changing them.
    """
    await session.execute(update(Role).where(Role.id == role_id).values(updated_at=utcnow()))


async def lock_users(session: AsyncSession, *user_ids: str) -> None:
    """Lock user rows until the transaction ends, in id order so that lockers never deadlock.

    PostgreSQL takes row locks; SQLite ignores FOR UPDATE because a mutation there already
    holds the database write lock from BEGIN IMMEDIATE.
    """
    statement = select(User.id).where(User.id.in_(user_ids)).order_by(User.id).with_for_update()
    await session.execute(statement)
