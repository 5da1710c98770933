"""Use cases for personal access tokens (PATs) of users and service users."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from auth.identity import CredentialKind, Identity
from auth.secrets import ACCESS_TOKEN_DISPLAY_LENGTH, ACCESS_TOKEN_PREFIX, hash_secret, new_secret
from db.clock import utcnow
from db.tables import AccessToken, AccessTokenStatus, RoleAttachment
from db.tables.shares import ResourceType
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail, not_found
from resolvers.lookups import get_role
from resolvers.validation import check_text, is_storable

NAME_MAX_LENGTH = 128
# Bounds `User.accessTokens`, a plain list, so that queries over it have a known cost.
MAX_ACCESS_TOKENS_PER_USER = 50


@dataclass
class CreatedAccessToken:
    """A new PAT and its secret, which is returned exactly once."""

    secret: str
    token: AccessToken


def _check_expiry(expires_at: datetime, max_days: int) -> datetime:
    if expires_at.utcoffset() is None:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Expiry '{expires_at.isoformat()}' has no time zone; send an ISO 8601 time with an "
            "offset, such as 2027-01-31T00:00:00Z.",
            "expiresAt",
        )
    now = utcnow()
    if expires_at <= now:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Expiry {expires_at.isoformat()} is in the past; choose a time after now.",
            "expiresAt",
        )
    if expires_at > now + timedelta(days=max_days):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Expiry {expires_at.isoformat()} is more than {max_days} days away; choose an "
            f"earlier time.",
            "expiresAt",
        )
    return expires_at


async def create_access_token(
    ctx: RequestContext,
    note: AuditNote,
    *,
    name: str,
    description: str | None,
    role_id: str,
    expires_at: datetime,
) -> CreatedAccessToken:
    """Create a PAT for the calling identity, acting under one of its roles."""
    identity = policy.require_identity(ctx.identity)
    name = check_text(name, "name", NAME_MAX_LENGTH, required=True)
    description = check_text(description, "description", 1000)
    expires_at = _check_expiry(expires_at, ctx.settings.access_token_max_days)

    role = await get_role(ctx.session, role_id)
    if await ctx.session.get(RoleAttachment, (identity.user.id, role.id)) is None:
        raise fail(
            ErrorCode.FORBIDDEN,
            f"Role '{role.name}' is not attached to '{identity.user.username}'; an access "
            "token can only carry one of its owner's roles.",
            "roleId",
        )
    if identity.credential == CredentialKind.ACCESS_TOKEN and role.id != identity.role.id:
        # The role of an access token cannot be switched, so a token must not mint another
        # token with a stronger role.
        raise fail(
            ErrorCode.FORBIDDEN,
            f"This request authenticated with an access token acting under role "
            f"'{identity.role.name}', so the new token can only carry that role; sign in to "
            f"create a token with role '{role.name}'.",
            "roleId",
        )

    owned = (
        await ctx.session.execute(
            select(func.count()).where(AccessToken.user_id == identity.user.id)
        )
    ).scalar_one()
    if owned >= MAX_ACCESS_TOKENS_PER_USER:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"'{identity.user.username}' already has {owned} access tokens, the maximum; "
            "deactivate and delete tokens it no longer uses, then try again.",
        )
    secret = new_secret(ACCESS_TOKEN_PREFIX)
    token = AccessToken(
        user_id=identity.user.id,
        role_id=role.id,
        name=name,
        description=description,
        display_prefix=secret[:ACCESS_TOKEN_DISPLAY_LENGTH],
        secret_hash=hash_secret(secret),
        expires_at=expires_at,
        created_by_actor_id=identity.actor.id if identity.actor else None,
    )
    ctx.session.add(token)
    await ctx.session.flush()
    note.target("ACCESS_TOKEN", token.id)
    note.details["userId"] = identity.user.id
    return CreatedAccessToken(secret, token)


async def _token_for_management(
    ctx: RequestContext, token_id: str, *, owner_only: bool = False
) -> tuple[Identity, AccessToken]:
    """Return a PAT the caller may manage: its own, or a service user's PAT for an owner."""
    identity = policy.require_identity(ctx.identity)
    token = await ctx.session.get(AccessToken, token_id) if is_storable(token_id) else None
    if token is None:
        raise not_found("access token", token_id, "tokenId")
    if token.user_id == identity.user.id:
        return identity, token
    target_user = await ctx.loaders.user.load(token.user_id)
    if not owner_only and target_user is not None and target_user.is_service_user:
        await policy.require_owner_access(
            ctx.session,
            identity,
            ResourceType.SERVICE_USER,
            target_user.id,
            f"service user '{target_user.username}'",
        )
        return identity, token
    # Someone else's token is reported as missing, so token ids cannot be probed.
    raise not_found("access token", token_id, "tokenId")


async def set_access_token_status(
    ctx: RequestContext, note: AuditNote, token_id: str, status: AccessTokenStatus
) -> AccessToken:
    """Deactivate or reactivate a PAT; owners of a service user may deactivate its PATs."""
    note.target("ACCESS_TOKEN", token_id)
    _, token = await _token_for_management(
        ctx, token_id, owner_only=status == AccessTokenStatus.ACTIVE
    )
    token.status = status
    ctx.session.add(token)
    await ctx.session.flush()
    return token


async def delete_access_token(ctx: RequestContext, note: AuditNote, token_id: str) -> str:
    """Delete an inactive PAT of the caller."""
    note.target("ACCESS_TOKEN", token_id)
    _, token = await _token_for_management(ctx, token_id, owner_only=True)
    if token.status != AccessTokenStatus.INACTIVE:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"Access token '{token.name}' is active; deactivate it before deleting it.",
            "tokenId",
        )
    await ctx.session.delete(token)
    await ctx.session.flush()
    return token_id


async def list_own_access_tokens(ctx: RequestContext) -> list[AccessToken]:
    """Return the caller's PATs, newest last."""
    identity = policy.require_identity(ctx.identity)
    statement = (
        select(AccessToken)
        .where(AccessToken.user_id == identity.user.id)
        .order_by(AccessToken.created_at, AccessToken.id)
    )
    return list((await ctx.session.execute(statement)).scalars())
