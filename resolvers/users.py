"""Use cases for regular users: create, enable, disable, and the user lists."""

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, or_, select, update

from auth.passwords import hash_password, password_problem
from db.clock import utcnow
from db.locks import lock_users
from db.paging import Page, count_rows, fetch_page
from db.tables import Permission, RoleAttachment, Session, User
from db.tables.roles import DEFAULT_USERS_ROLE_ID
from resolvers import policy, token_revocation
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, UseCaseError, UserError, fail, not_found
from resolvers.lookups import find_user_by_username, get_user
from resolvers.pagination import check_first, decode_cursor
from resolvers.super_admins import ensure_not_last_super_admin
from resolvers.validation import (
    check_text,
    check_username,
    is_storable,
    normalise_email,
    username_key,
)

USER_SORT_COLUMNS = (User.username_key, User.id)
USER_SORT_KEYS = ("username_key", "id")


@dataclass
class UserFilter:
    """Optional conditions of the user list."""

    is_service_user: bool | None = None
    enabled: bool | None = None
    search: str | None = None


def _filtered_users(user_filter: UserFilter) -> Select:
    statement = select(User)
    if user_filter.is_service_user is not None:
        statement = statement.where(User.is_service_user.is_(user_filter.is_service_user))
    if user_filter.enabled is not None:
        statement = statement.where(User.enabled.is_(user_filter.enabled))
    if user_filter.search:
        pattern = _search_pattern(user_filter.search)
        statement = statement.where(
            or_(
                User.username_key.like(pattern, escape="\\"),
                User.email_key.like(pattern, escape="\\"),
            )
        )
    return statement


def _search_pattern(search: str) -> str:
    """Return a LIKE pattern matching the search text anywhere, with `%` and `_` taken literally.

    The text is normalised as usernames and emails are for comparison (NFKC, lower case).
    """
    needle = unicodedata.normalize("NFKC", search.strip()).lower()
    if not is_storable(needle):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            "The search text contains a control character or an invalid Unicode surrogate; "
            "remove it.",
            ["filter", "search"],
        )
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_users(
    ctx: RequestContext, user_filter: UserFilter, first: int, after: str | None
) -> tuple[Page, int]:
    """Return one page of users ordered by username, and the number of matching users."""
    policy.require_identity(ctx.identity)
    check_first(first)
    position = decode_cursor(after, USER_SORT_COLUMNS) if after else None
    statement = _filtered_users(user_filter)
    page = await fetch_page(
        ctx.session, statement, USER_SORT_COLUMNS, USER_SORT_KEYS, first, position
    )
    return page, await count_rows(ctx.session, statement)


async def find_user(ctx: RequestContext, user_id: str) -> User:
    """Return one user by id, for any authenticated identity."""
    policy.require_identity(ctx.identity)
    # An id the database cannot take as a parameter names no user either.
    user = await ctx.loaders.user.load(user_id) if is_storable(user_id) else None
    if user is None:
        raise not_found("user", user_id, "userId")
    return user


async def ensure_username_free(ctx: RequestContext, username: str) -> None:
    """Fail with CONFLICT when a username is taken, compared regardless of case."""
    existing = await find_user_by_username(ctx.session, username)
    if existing is not None:
        raise fail(
            ErrorCode.CONFLICT,
            f"Username '{username}' is already taken by '{existing.username}' (usernames are "
            "compared without regard to case); choose another one.",
            "username",
        )


async def create_user(
    ctx: RequestContext,
    note: AuditNote,
    *,
    username: str,
    email: str,
    password: str,
    display_name: str | None,
) -> User:
    """Create a regular user holding SystemRole-DefaultUsers as its default role."""
    identity = policy.require_permission(ctx.identity, Permission.USERS_MANAGE)
    errors: list[UserError] = []
    for check in (
        lambda: check_username(username),
        lambda: normalise_email(email),
        lambda: check_text(display_name, "displayName", 200),
    ):
        try:
            check()
        except UseCaseError as error:
            errors.extend(error.errors)
    problem = password_problem(password)
    if problem:
        errors.append(UserError(ErrorCode.BAD_USER_INPUT, problem, ["password"]))
    if errors:
        raise UseCaseError(errors)

    email_value, email_key = normalise_email(email)
    await ensure_username_free(ctx, username)
    clash = (
        await ctx.session.execute(select(User.username).where(User.email_key == email_key))
    ).scalar_one_or_none()
    if clash is not None:
        raise fail(
            ErrorCode.CONFLICT,
            f"Email '{email_value}' is already used by another user (emails are compared after "
            "Unicode NFKC normalisation and lower-casing).",
            "email",
        )
    user = User(
        username=username,
        username_key=username_key(username),
        email=email_value,
        email_key=email_key,
        password_hash=hash_password(password),
        display_name=check_text(display_name, "displayName", 200),
        created_by_id=identity.person.id,
        default_role_id=DEFAULT_USERS_ROLE_ID,
    )
    ctx.session.add(user)
    await ctx.session.flush()
    ctx.session.add(
        RoleAttachment(
            user_id=user.id, role_id=DEFAULT_USERS_ROLE_ID, attached_by_id=identity.person.id
        )
    )
    note.target("USER", user.id)
    return user


async def set_enabled(ctx: RequestContext, note: AuditNote, user_id: str, enabled: bool) -> User:
    """Enable or disable a user; disabling also ends its sessions and revokes its tokens.

    Disabling a service user revokes the live tokens that act as it. Disabling a person revokes
    the live service-user tokens that person issued. Enabling either again revives none.
    """
    # Locked first, so that an assumption by this user runs wholly before or after this change.
    await lock_users(ctx.session, user_id)
    user = await get_user(ctx.session, user_id)
    note.target("SERVICE_USER" if user.is_service_user else "USER", user.id)
    await policy.require_user_manager(ctx.session, ctx.identity, user)
    if user.enabled == enabled:
        return user
    now = utcnow()
    if not enabled:
        await ensure_not_last_super_admin(ctx.session, user, "disabled")
        await ctx.session.execute(
            update(Session)
            .where(Session.user_id == user.id, Session.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        # A service user loses the tokens that act as it; a person loses the tokens it issued.
        revoke_tokens = (
            token_revocation.revoke_tokens_of_service_user
            if user.is_service_user
            else token_revocation.revoke_tokens_issued_by
        )
        note.details["revokedServiceUserTokens"] = await revoke_tokens(
            ctx.session, user.id, ctx.identity.person.id
        )
    user.enabled = enabled
    ctx.session.add(user)
    await ctx.session.flush()
    return user
