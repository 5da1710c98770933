"""Users: people who sign in with a password, and service users that automation acts as."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class User(SQLModel, table=True):
    """A regular user (email and password) or a service user (description, neither of those)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(is_service_user AND email IS NULL AND password_hash IS NULL)"
            " OR (NOT is_service_user AND email IS NOT NULL)",
            name="ck_users_kind_credentials",
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(max_length=64)
    # Lower-cased username; its unique index makes usernames unique regardless of case.
    username_key: str = Field(max_length=64, unique=True)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    # NFKC-normalised, lower-cased email; unique so that look-alike spellings collide.
    email_key: str | None = Field(default=None, max_length=320, unique=True)
    password_hash: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    is_service_user: bool = Field(default=False, index=True)
    enabled: bool = Field(default=True)
    default_role_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("roles.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
