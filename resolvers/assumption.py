"""Use cases for assuming service users: issue a short-lived token, and revoke issued ones."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from auth.service_user_tokens import MAX_LIFETIME, MIN_LIFETIME, ServiceUserTokens
from db.clock import utcnow
from db.locks import lock_users
from db.tables import Role, RoleAttachment, ServiceUserToken, User
from db.tables.shares import ResourceType
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, fail
from resolvers.lookups import get_role, get_service_user
from resolvers.validation import check_text, collect

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500
MIN_MINUTES = int(MIN_LIFETIME.total_seconds() // 60)
MAX_MINUTES = int(MAX_LIFETIME.total_seconds() // 60)


@dataclass
class Assumption:
    """A newly issued service-user token, its registry entry, and what it acts as."""

    token: str
    record: ServiceUserToken
    service_user: User
    role: Role


def check_minutes(minutes: int, field: str = "expiresInMinutes") -> int:
    """Return a token lifetime in minutes if it lies within the allowed range."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"A token lifetime of {minutes} minutes is out of range; choose {MIN_MINUTES} to "
            f"{MAX_MINUTES} minutes.",
            field,
        )
    return minutes


def _token_issuer(ctx: RequestContext) -> ServiceUserTokens:
    issuer = ctx.token_issuer
    if not isinstance(issuer, ServiceUserTokens):
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            "This server has no signing keys loaded, so it cannot issue service-user tokens.",
        )
    return issuer


async def _attached_role(ctx: RequestContext, service_user: User, role_id: str) -> Role:
    role = await get_role(ctx.session, role_id)
    if await ctx.session.get(RoleAttachment, (service_user.id, role.id)) is None:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Role '{role.name}' is not attached to service user '{service_user.username}'; "
            "choose one of the roles listed in its `roles` field.",
            "roleId",
        )
    return role


async def assume_service_user(
    ctx: RequestContext,
    note: AuditNote,
    *,
    service_user_id: str,
    role_id: str,
    expires_in_minutes: int | None,
    reason: str | None,
) -> Assumption:
    """Issue a token that acts as a service user under one of its roles, for 1 to 180 minutes.

    Only a person with Owner access to the service user may assume it. The registry entry is
    written in the caller's transaction, so a failed commit leaves no usable token behind.
    """
    note.target("SERVICE_USER", service_user_id)
    identity = policy.require_person(ctx.identity, "assume a service user")
    minutes = (
        ctx.settings.assumption_default_minutes
        if expires_in_minutes is None
        else expires_in_minutes
    )
    collect(
        lambda: check_minutes(minutes),
        lambda: check_text(reason, "reason", REASON_MAX_LENGTH),
    )
    reason = check_text(reason, "reason", REASON_MAX_LENGTH) or None
    issuer = _token_issuer(ctx)

    # Lock both users first, because unsharing, disabling and tag removal lock one of these rows.
    # On PostgreSQL they then run wholly before or after this assumption, so no token is issued
    # by someone whose access is being taken away at that moment.
    await lock_users(ctx.session, service_user_id, identity.person.id)
    person = await ctx.session.get(User, identity.person.id)
    if person is None or not person.enabled:
        raise fail(
            ErrorCode.FORBIDDEN,
            f"User '{identity.person.username}' was disabled or deleted meanwhile and can no "
            "longer assume service users.",
        )
    service_user = await get_service_user(ctx.session, service_user_id)
    await policy.require_owner_access(
        ctx.session,
        identity,
        ResourceType.SERVICE_USER,
        service_user.id,
        f"service user '{service_user.username}'",
    )
    if not service_user.enabled:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"Service user '{service_user.username}' is disabled; enable it before assuming it.",
            "serviceUserId",
        )
    role = await _attached_role(ctx, service_user, role_id)

    issued = issuer.issue(
        service_user_id=service_user.id,
        role_id=role.id,
        actor_id=identity.user.id,
        lifetime=timedelta(minutes=minutes),
    )
    record = ServiceUserToken(
        id=issued.jti,
        service_user_id=service_user.id,
        role_id=role.id,
        issued_by_id=identity.user.id,
        key_id=issued.kid,
        issued_at=issued.issued_at,
        expires_at=issued.expires_at,
        reason=reason,
    )
    ctx.session.add(record)
    await ctx.session.flush()
    note.details.update(
        {
            "tokenId": record.id,
            "roleId": role.id,
            "expiresInMinutes": minutes,
            "expiresAt": record.expires_at.isoformat(),
            "reason": reason,
        }
    )
    logger.info(
        "service user %s assumed by %s under role %s, token %s for %d minutes",
        service_user.id,
        identity.user.id,
        role.id,
        record.id,
        minutes,
    )
    return Assumption(issued.token, record, service_user, role)


async def revoke_service_user_token(
    ctx: RequestContext, note: AuditNote, token_id: str
) -> ServiceUserToken:
    """Revoke a service-user token, if the caller issued it or has Owner access to its service user.

    Revoking a token that is already revoked changes nothing and succeeds.
    """
    note.target("SERVICE_USER_TOKEN", token_id)
    identity = policy.require_identity(ctx.identity)
    record = await ctx.session.get(ServiceUserToken, token_id)
    if record is None:
        raise fail(
            ErrorCode.NOT_FOUND,
            f"No service-user token has the id '{token_id}'. The `assumptionTokens` field of a "
            "service user lists its tokens.",
            "tokenId",
        )
    note.details["serviceUserId"] = record.service_user_id
    service_user = await ctx.session.get(User, record.service_user_id)
    await policy.require_token_revoker(
        ctx.session, identity, record.id, record.issued_by_id, service_user
    )
    if record.revoked_at is not None:
        note.details["alreadyRevoked"] = True
        return record
    record.revoked_at = utcnow()
    record.revoked_by_id = identity.person.id
    ctx.session.add(record)
    await ctx.session.flush()
    return record
