"""The rule that keeps at least one enabled super admin, also under concurrent requests."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.locks import lock_role
from db.tables import RoleAttachment, User
from db.tables.roles import SUPER_ADMIN_ROLE_ID
from resolvers.errors import ErrorCode, fail


async def _holds_super_admin(session: AsyncSession, user_id: str) -> bool:
    statement = select(func.count()).where(
        RoleAttachment.user_id == user_id, RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID
    )
    return (await session.execute(statement)).scalar_one() > 0


async def ensure_not_last_super_admin(session: AsyncSession, user: User, change: str) -> None:
    """Fail when `user` is the only enabled person holding SystemRole-SuperAdmin.

    Service users holding the role do not count: only a person can sign in, and a service user
    can only be assumed by an owner, so they cannot bring back an installation without people.
    Locks the super admin role first, so two requests that each remove a different super
    admin run one after the other and the second one reads the first one's change.
    """
    if user.is_service_user or not await _holds_super_admin(session, user.id):
        return
    await lock_role(session, SUPER_ADMIN_ROLE_ID)
    statement = (
        select(func.count())
        .select_from(RoleAttachment)
        .join(User, User.id == RoleAttachment.user_id)
        .where(
            RoleAttachment.role_id == SUPER_ADMIN_ROLE_ID,
            User.enabled.is_(True),
            User.is_service_user.is_(False),
            User.id != user.id,
        )
    )
    others = (await session.execute(statement)).scalar_one()
    if others == 0:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"User '{user.username}' is the last enabled person holding SystemRole-SuperAdmin "
            f"and cannot be {change}; give the role to another enabled regular user first.",
        )
