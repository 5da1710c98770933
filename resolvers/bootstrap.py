"""Creating a super admin from the command line, and the first one of an empty installation."""

import logging
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password, password_problem
from auth.secrets import generate_password
from db.tables import AuditEvent, RoleAttachment, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID, SUPER_ADMIN_ROLE_ID
from resolvers.errors import ErrorCode, fail
from resolvers.lookups import find_user_by_username
from resolvers.validation import check_username, normalise_email, username_key

logger = logging.getLogger(__name__)

DEFAULT_ADMIN_USERNAME = "admin"


@dataclass
class BootstrapResult:
    """The new super admin, and its password when the server generated it."""

    user: User
    generated_password: str | None


def default_email(username: str) -> str:
    """Return a placeholder email for a bootstrapped admin; `.invalid` never resolves."""
    return f"{username.lower()}@service-users.invalid"


async def create_super_admin(
    session: AsyncSession, username: str, email: str | None, password: str | None
) -> BootstrapResult:
    """Create an enabled regular user holding SystemRole-SuperAdmin and SystemRole-DefaultUsers."""
    check_username(username)
    email_value, email_key = normalise_email(email or default_email(username))
    generated = None
    if password is None:
        password = generated = generate_password()
    problem = password_problem(password)
    if problem:
        raise fail(ErrorCode.BAD_USER_INPUT, problem, "password")
    if await find_user_by_username(session, username) is not None:
        raise fail(ErrorCode.CONFLICT, f"Username '{username}' is already taken.", "username")
    if (await session.execute(select(exists().where(User.email_key == email_key)))).scalar():
        raise fail(ErrorCode.CONFLICT, f"Email '{email_value}' is already used.", "email")

    user = User(
        username=username,
        username_key=username_key(username),
        email=email_value,
        email_key=email_key,
        password_hash=hash_password(password),
        default_role_id=SUPER_ADMIN_ROLE_ID,
    )
    session.add(user)
    await session.flush()
    for role_id in (SUPER_ADMIN_ROLE_ID, DEFAULT_USERS_ROLE_ID):
        session.add(RoleAttachment(user_id=user.id, role_id=role_id))
    session.add(
        AuditEvent(
            action="bootstrap",
            user_id=user.id,
            actor_id=None,
            target_type="USER",
            target_id=user.id,
            outcome="SUCCESS",
        )
    )
    await session.commit()
    logger.info("super admin created user=%s", user.id)
    return BootstrapResult(user, generated)


async def has_users(session: AsyncSession) -> bool:
    """Tell whether any user exists."""
    return bool((await session.execute(select(exists().where(User.id.is_not(None))))).scalar())
