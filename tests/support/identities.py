"""Credentials for tests, written straight into the database.

A personal access token made here authenticates as its user, a service user included, exactly
as one made through `createAccessToken`. A session made here works like one from `signIn`.
"""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from auth.secrets import (
    ACCESS_TOKEN_DISPLAY_LENGTH,
    ACCESS_TOKEN_PREFIX,
    SESSION_TOKEN_PREFIX,
    hash_secret,
    new_secret,
)
from db.clock import utcnow
from db.engine import create_session_factory
from db.tables import AccessToken, AccessTokenStatus, Session

ACCESS_TOKEN_LIFETIME = timedelta(days=30)
SESSION_LIFETIME = timedelta(hours=8)


def access_token_row(
    user_id: str, role_id: str, name: str = "test token"
) -> tuple[str, AccessToken]:
    """Return a new ACTIVE access token row for a user and role, and its secret."""
    secret = new_secret(ACCESS_TOKEN_PREFIX)
    token = AccessToken(
        user_id=user_id,
        role_id=role_id,
        name=name,
        display_prefix=secret[:ACCESS_TOKEN_DISPLAY_LENGTH],
        secret_hash=hash_secret(secret),
        status=AccessTokenStatus.ACTIVE,
        expires_at=utcnow() + ACCESS_TOKEN_LIFETIME,
    )
    return secret, token


def session_row(user_id: str) -> tuple[str, Session]:
    """Return a new session row for a regular user, and its token."""
    secret = new_secret(SESSION_TOKEN_PREFIX)
    session = Session(
        user_id=user_id, token_hash=hash_secret(secret), expires_at=utcnow() + SESSION_LIFETIME
    )
    return secret, session


async def create_access_token(engine: AsyncEngine, user_id: str, role_id: str) -> str:
    """Store an ACTIVE access token for a user (or service user) and return its secret."""
    secret, token = access_token_row(user_id, role_id)
    async with create_session_factory(engine)() as db:
        db.add(token)
        await db.commit()
    return secret
