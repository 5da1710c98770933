"""Use cases for roles: create roles, attach and detach them, choose the default role."""

import unicodedata

from sqlalchemy import delete, select

from db.paging import Page, count_rows, fetch_page
from db.tables import Permission, Role, RoleAttachment, User
from db.tables.roles import SUPER_ADMIN_ROLE_ID
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail
from resolvers.lookups import get_role, get_user
from resolvers.pagination import check_first, decode_cursor
from resolvers.super_admins import ensure_not_last_super_admin
from resolvers.token_revocation import (
    revoke_tokens_under_role,
    revoke_tokens_without_owner_access,
)
from resolvers.validation import check_text

ROLE_NAME_MAX_LENGTH = 64
ROLE_SORT_COLUMNS = (Role.name_key, Role.id)
ROLE_SORT_KEYS = ("name_key", "id")


def role_name_key(name: str) -> str:
    """Return the form role names are compared in: NFKC-normalised and lower-cased.

    NFKC maps look-alikes such as fullwidth letters to ASCII, so a name spelled in fullwidth
    letters clashes with its ASCII spelling.
    """
    return unicodedata.normalize("NFKC", name).lower()


async def list_roles(ctx: RequestContext, first: int, after: str | None) -> tuple[Page, int]:
    """Return one page of roles ordered by name, and the number of roles."""
    policy.require_identity(ctx.identity)
    check_first(first)
    position = decode_cursor(after, ROLE_SORT_COLUMNS) if after else None
    statement = select(Role)
    page = await fetch_page(
        ctx.session, statement, ROLE_SORT_COLUMNS, ROLE_SORT_KEYS, first, position
    )
    return page, await count_rows(ctx.session, statement)


def _check_role_name(name: str) -> tuple[str, str]:
    """Return the stripped role name and its comparison key, rejecting reserved names."""
    name = check_text(name, "name", ROLE_NAME_MAX_LENGTH, required=True)
    name_key = role_name_key(name)
    if len(name_key) > ROLE_NAME_MAX_LENGTH:
        # NFKC can lengthen text, for example a ligature becomes several letters.
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Role name '{name}' is longer than {ROLE_NAME_MAX_LENGTH} characters once "
            "normalised; choose a shorter name.",
            "name",
        )
    if name_key.startswith("systemrole-"):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Role name '{name}' is reserved: names starting with 'SystemRole-' belong to "
            "system roles.",
            "name",
        )
    return name, name_key


async def create_role(
    ctx: RequestContext,
    note: AuditNote,
    *,
    name: str,
    description: str | None,
    permissions: list[Permission],
) -> Role:
    """Create a custom role with permissions that the caller's active role grants."""
    identity = policy.require_permission(ctx.identity, Permission.ROLES_MANAGE)
    name, name_key = _check_role_name(name)
    description = check_text(description, "description", 1000)

    existing = (
        await ctx.session.execute(select(Role.name).where(Role.name_key == name_key))
    ).scalar_one_or_none()
    if existing is not None:
        raise fail(ErrorCode.CONFLICT, f"A role named '{existing}' already exists.", "name")

    missing = sorted({p.value for p in permissions if not identity.has_permission(p)})
    if missing:
        raise fail(
            ErrorCode.FORBIDDEN,
            "You cannot create a role with permissions your active role lacks: "
            f"{', '.join(missing)}.",
            "permissions",
        )

    role = Role(
        name=name,
        name_key=name_key,
        description=description,
        permissions=sorted({p.value for p in permissions}),
        created_by_id=identity.person.id,
    )
    ctx.session.add(role)
    await ctx.session.flush()
    note.target("ROLE", role.id)
    return role


async def _attachment(ctx: RequestContext, user_id: str, role_id: str) -> RoleAttachment | None:
    return await ctx.session.get(RoleAttachment, (user_id, role_id))


async def _lock_user(ctx: RequestContext, user_id: str) -> None:
    # Two detaches of different roles of one user must not both count the other's role as
    # remaining. PostgreSQL locks the row here; SQLite mutations already hold the write lock.
    await ctx.session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def attach_role(ctx: RequestContext, note: AuditNote, user_id: str, role_id: str) -> User:
    """Attach a role to a user; the caller must manage the user and hold the role."""
    user = await get_user(ctx.session, user_id)
    note.target("SERVICE_USER" if user.is_service_user else "USER", user.id)
    note.details["roleId"] = role_id
    identity = await policy.require_user_manager(ctx.session, ctx.identity, user)
    role = await get_role(ctx.session, role_id)
    await policy.require_role_grantable(ctx.session, identity, role.id, role.name)
    if role.id == SUPER_ADMIN_ROLE_ID and not identity.is_super_admin:
        raise fail(
            ErrorCode.FORBIDDEN,
            "Only the active role SystemRole-SuperAdmin can attach SystemRole-SuperAdmin.",
            "roleId",
        )
    if await _attachment(ctx, user.id, role.id) is not None:
        raise fail(
            ErrorCode.CONFLICT,
            f"Role '{role.name}' is already attached to user '{user.username}'.",
            "roleId",
        )
    ctx.session.add(
        RoleAttachment(user_id=user.id, role_id=role.id, attached_by_id=identity.person.id)
    )
    if user.default_role_id is None:
        user.default_role_id = role.id
        ctx.session.add(user)
    await ctx.session.flush()
    return user


async def _other_roles(ctx: RequestContext, user_id: str, role_id: str) -> list[Role]:
    statement = (
        select(Role)
        .join(RoleAttachment, RoleAttachment.role_id == Role.id)
        .where(RoleAttachment.user_id == user_id, Role.id != role_id)
        .order_by(Role.name_key)
    )
    return list((await ctx.session.execute(statement)).scalars())


async def detach_role(ctx: RequestContext, note: AuditNote, user_id: str, role_id: str) -> User:
    """Detach a role from a user, keeping at least one role and choosing a new default."""
    user = await get_user(ctx.session, user_id)
    note.target("SERVICE_USER" if user.is_service_user else "USER", user.id)
    note.details["roleId"] = role_id
    identity = await policy.require_user_manager(ctx.session, ctx.identity, user)
    role = await get_role(ctx.session, role_id)
    await policy.require_role_grantable(ctx.session, identity, role.id, role.name)

    await _lock_user(ctx, user.id)
    if await _attachment(ctx, user.id, role.id) is None:
        raise fail(
            ErrorCode.NOT_FOUND,
            f"Role '{role.name}' is not attached to user '{user.username}'.",
            "roleId",
        )
    remaining = await _other_roles(ctx, user.id, role.id)
    if not remaining:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"Role '{role.name}' is the only role of user '{user.username}'; attach another "
            "role before detaching it.",
            "roleId",
        )
    if role.id == SUPER_ADMIN_ROLE_ID and user.enabled:
        await ensure_not_last_super_admin(ctx.session, user, "stripped of SystemRole-SuperAdmin")

    await ctx.session.execute(
        delete(RoleAttachment).where(
            RoleAttachment.user_id == user.id, RoleAttachment.role_id == role.id
        )
    )
    if user.is_service_user:
        # Revoked rather than only rejected, so that attaching the role again revives nothing.
        note.details["revokedServiceUserTokens"] = await revoke_tokens_under_role(
            ctx.session, user.id, role.id, identity.person.id
        )
    elif role.id == SUPER_ADMIN_ROLE_ID:
        # Tokens the person issued under the super admin's Owner access must not revive when
        # the role comes back. A service user's own tokens are checked on each request instead.
        note.details["revokedServiceUserTokens"] = await revoke_tokens_without_owner_access(
            ctx.session, identity.person.id, issued_by_id=user.id
        )
    if user.default_role_id == role.id:
        user.default_role_id = remaining[0].id
        note.details["newDefaultRoleId"] = remaining[0].id
        ctx.session.add(user)
    await ctx.session.flush()
    return user


async def set_default_role(
    ctx: RequestContext, note: AuditNote, user_id: str, role_id: str
) -> User:
    """Make an attached role the user's default; users may change their own default."""
    identity = policy.require_identity(ctx.identity)
    user = await get_user(ctx.session, user_id)
    note.target("SERVICE_USER" if user.is_service_user else "USER", user.id)
    note.details["roleId"] = role_id
    if user.id != identity.user.id:
        await policy.require_user_manager(ctx.session, identity, user)
    role = await get_role(ctx.session, role_id)
    if await _attachment(ctx, user.id, role.id) is None:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"Role '{role.name}' is not attached to user '{user.username}'; attach it first.",
            "roleId",
        )
    user.default_role_id = role.id
    ctx.session.add(user)
    await ctx.session.flush()
    return user
