"""Signing in and out: sessions for regular users, with throttled failures."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from auth.identity import CredentialKind
from auth.passwords import verify_password
from auth.secrets import SESSION_TOKEN_PREFIX, hash_secret, new_secret
from db.clock import utcnow
from db.tables import Session, SignInFailure
from resolvers import policy
from resolvers.audit import AuditNote
from resolvers.context import RequestContext
from resolvers.errors import ErrorCode, UserError, fail
from resolvers.lookups import find_user_by_username, get_user
from resolvers.mutation import run_mutation
from resolvers.token_revocation import revoke_tokens_issued_by

logger = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid username or password."
# Bounds `User.activeSessions`, a plain list; a new sign-in ends the oldest sessions beyond it.
MAX_ACTIVE_SESSIONS_PER_USER = 50


@dataclass
class SignInResult:
    """A new session and the one-time token that authenticates it."""

    token: str
    session: Session


async def _failures_since(ctx: RequestContext, column, value: str, since) -> int:
    statement = select(func.count()).where(column == value, SignInFailure.failed_at >= since)
    return (await ctx.session.execute(statement)).scalar_one()


async def _check_throttle(ctx: RequestContext, key: str, client_ip: str) -> None:
    settings = ctx.settings
    window = timedelta(minutes=settings.sign_in_window_minutes)
    since = utcnow() - window
    per_account = await _failures_since(ctx, SignInFailure.username_key, key, since)
    per_address = await _failures_since(ctx, SignInFailure.client_ip, client_ip, since)
    if (
        per_account >= settings.sign_in_max_failures_per_account
        or per_address >= settings.sign_in_max_failures_per_address
    ):
        logger.warning(
            "sign-in throttled account_failures=%d address_failures=%d address=%s",
            per_account,
            per_address,
            client_ip,
        )
        raise fail(
            ErrorCode.RATE_LIMITED,
            "Too many failed sign-ins for this account or address; wait "
            f"{settings.sign_in_window_minutes} minutes and try again.",
        )


async def record_sign_in_failure(ctx: RequestContext, username: str) -> None:
    """Record a failed sign-in in its own transaction, so throttling survives the rollback."""
    await ctx.session.rollback()
    ctx.session.add(
        SignInFailure(
            username_key=username.strip().lower()[:64], client_ip=ctx.client_ip or "unknown"
        )
    )
    cutoff = utcnow() - timedelta(days=1)
    await ctx.session.execute(delete(SignInFailure).where(SignInFailure.failed_at < cutoff))
    await ctx.session.commit()


async def sign_in(
    ctx: RequestContext, note: AuditNote, username: str, password: str
) -> SignInResult:
    """Check a regular user's password and open a session."""
    key = username.strip().lower()
    await _check_throttle(ctx, key, ctx.client_ip or "unknown")
    user = await find_user_by_username(ctx.session, key)
    valid = verify_password(user.password_hash if user else None, password)
    if user is not None:
        note.target("USER", user.id)
    if user is None or not valid or user.is_service_user:
        raise fail(ErrorCode.UNAUTHENTICATED, INVALID_CREDENTIALS, "password")
    if not user.enabled:
        raise fail(
            ErrorCode.FORBIDDEN,
            f"User '{user.username}' is disabled; ask an administrator to enable it.",
            "username",
        )
    if user.default_role_id is None:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            f"User '{user.username}' has no role; ask an administrator to attach one.",
        )
    token = new_secret(SESSION_TOKEN_PREFIX)
    now = utcnow()
    record = Session(
        user_id=user.id,
        token_hash=hash_secret(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=ctx.settings.session_lifetime_minutes),
        user_agent=(ctx.user_agent or "")[:300] or None,
        client_ip=ctx.client_ip,
    )
    ctx.session.add(record)
    await ctx.session.flush()
    # Only a successful sign-in names the person as actor, because anyone can send a wrong
    # password for someone else's username.
    note.anonymous_actor = (user.id, user.username)
    await _end_oldest_sessions(ctx, user.id, now)
    note.details["sessionId"] = record.id
    return SignInResult(token, record)


async def attempt_sign_in(
    ctx: RequestContext, username: str, password: str
) -> tuple[SignInResult | None, list[UserError]]:
    """Run `sign_in` as a mutation, recording a failed password check for throttling."""
    result, errors = await run_mutation(
        ctx, "signIn", lambda note: sign_in(ctx, note, username, password)
    )
    if any(error.code == ErrorCode.UNAUTHENTICATED for error in errors):
        await record_sign_in_failure(ctx, username)
    return result, errors


async def _end_oldest_sessions(ctx: RequestContext, user_id: str, now) -> None:
    live = (
        select(Session.id)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now)
        .order_by(Session.created_at.desc(), Session.id.desc())
        .offset(MAX_ACTIVE_SESSIONS_PER_USER)
    )
    oldest = list((await ctx.session.execute(live)).scalars())
    if oldest:
        await ctx.session.execute(
            update(Session).where(Session.id.in_(oldest)).values(revoked_at=now)
        )


async def sign_out(ctx: RequestContext, note: AuditNote) -> int:
    """End the session of the current request."""
    identity = policy.require_session_capable(ctx.identity)
    if identity.credential != CredentialKind.SESSION:
        raise fail(
            ErrorCode.PRECONDITION_FAILED,
            "This request authenticated with an access token, not a session; deactivate the "
            "token instead, or sign out with the session token.",
        )
    note.target("SESSION", identity.credential_id)
    result = await ctx.session.execute(
        update(Session)
        .where(Session.id == identity.credential_id, Session.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


async def global_sign_out(ctx: RequestContext, note: AuditNote, user_id: str | None) -> int:
    """End every session of a user: one's own, or another's with USERS_MANAGE.

    The service-user tokens the user issued are revoked too, because they outlive the session
    that assumed the service user.
    """
    identity = policy.require_session_capable(ctx.identity)
    target = identity.user if user_id is None else await get_user(ctx.session, user_id)
    note.target("USER", target.id)
    if target.id != identity.user.id:
        await policy.require_user_manager(ctx.session, identity, target)
    if target.is_service_user:
        raise fail(
            ErrorCode.NOT_SUPPORTED_FOR_SERVICE_USER,
            f"Service user '{target.username}' has no sessions; revoke its tokens instead.",
            "userId",
        )
    result = await ctx.session.execute(
        update(Session)
        .where(Session.user_id == target.id, Session.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    note.details["revokedSessions"] = result.rowcount
    note.details["revokedServiceUserTokens"] = await revoke_tokens_issued_by(
        ctx.session, target.id, identity.person.id
    )
    return result.rowcount
