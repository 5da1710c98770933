"""Fetch rows named by input ids, failing with NOT_FOUND when they do not exist.

An id with a control character or a lone surrogate names no row, so it is NOT_FOUND without a
query, because PostgreSQL would reject it as a parameter.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import Role, Tag, User
from resolvers.errors import ErrorCode, fail, not_found
from resolvers.validation import is_storable


async def get_user(session: AsyncSession, user_id: str, field: str = "userId") -> User:
    """Return the user with an id, or fail with NOT_FOUND."""
    user = await session.get(User, user_id) if is_storable(user_id) else None
    if user is None:
        raise not_found("user", user_id, field)
    return user


async def get_service_user(
    session: AsyncSession, user_id: str, field: str = "serviceUserId"
) -> User:
    """Return the service user with an id, failing when it is missing or a regular user."""
    user = await get_user(session, user_id, field)
    if not user.is_service_user:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"User '{user.username}' is a regular user, not a service user; pass the id of a "
            "service user.",
            field,
        )
    return user


async def get_role(session: AsyncSession, role_id: str, field: str = "roleId") -> Role:
    """Return the role with an id, or fail with NOT_FOUND."""
    role = await session.get(Role, role_id) if is_storable(role_id) else None
    if role is None:
        raise not_found("role", role_id, field)
    return role


async def get_tag(session: AsyncSession, tag_id: str, field: str = "tagId") -> Tag:
    """Return the tag with an id, or fail with NOT_FOUND."""
    tag = await session.get(Tag, tag_id) if is_storable(tag_id) else None
    if tag is None:
        raise not_found("tag", tag_id, field)
    return tag


async def find_user_by_username(session: AsyncSession, username: str) -> User | None:
    """Return the user whose username matches regardless of case, if any."""
    statement = select(User).where(User.username_key == username.lower())
    return (await session.execute(statement)).scalar_one_or_none()
