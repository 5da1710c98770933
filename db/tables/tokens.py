"""Credentials: sessions, personal access tokens, service-user tokens and failed sign-ins."""

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class Session(SQLModel, table=True):
    """A signed-in session of a regular user; only the hash of its token is stored."""

    __tablename__ = "sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str | None = Field(default=None, max_length=300)
    client_ip: str | None = Field(default=None, max_length=64)


class AccessTokenStatus(enum.StrEnum):
    """Whether a personal access token is accepted."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class AccessToken(SQLModel, table=True):
    """A personal access token (PAT): an opaque secret bound to one user and one role."""

    __tablename__ = "access_tokens"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role_id: str = Field(
        sa_column=Column(String(36), ForeignKey("roles.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=128)
    description: str | None = Field(default=None, max_length=1000)
    # First characters of the secret, shown in listings so that a token can be recognised.
    display_prefix: str = Field(max_length=32)
    secret_hash: str = Field(max_length=64, unique=True)
    status: str = Field(default=AccessTokenStatus.ACTIVE, max_length=16)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    # The person behind the request that created it, when that request acted as a service user.
    created_by_actor_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class ServiceUserToken(SQLModel, table=True):
    """The registry entry of one issued service-user token; `id` is the token's `jti`."""

    __tablename__ = "service_user_tokens"
    __table_args__ = (Index("ix_service_user_tokens_issued_by", "issued_by_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_user_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role_id: str = Field(
        sa_column=Column(String(36), ForeignKey("roles.id", ondelete="CASCADE"), nullable=False)
    )
    issued_by_id: str = Field(
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    key_id: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    reason: str | None = Field(default=None, max_length=500)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class SignInFailure(SQLModel, table=True):
    """One failed sign-in, kept for a while to throttle guessing per account and per address."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_username", "username_key", "failed_at"),
        Index("ix_sign_in_failures_address", "client_ip", "failed_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username_key: str = Field(max_length=64)
    client_ip: str = Field(max_length=64)
    failed_at: datetime = Field(default_factory=utcnow)
