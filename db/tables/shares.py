"""Shares: an access type on one resource, granted to a user or to a tag."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class ResourceType(enum.StrEnum):
    """Kinds of resources that can be owned and shared."""

    SERVICE_USER = "SERVICE_USER"
    DATASOURCE = "DATASOURCE"
    TAG = "TAG"


class AccessType(enum.StrEnum):
    """Levels of access a share grants."""

    OWNER = "OWNER"
    EDITOR = "EDITOR"
    READ_ONLY = "READ_ONLY"


class Share(SQLModel, table=True):
    """A grant of `access_type` on a resource to exactly one user or one tag."""

    __tablename__ = "shares"
    __table_args__ = (
        CheckConstraint(
            "(grantee_user_id IS NULL) <> (grantee_tag_id IS NULL)", name="ck_shares_one_grantee"
        ),
        # `grantee_key` is "user:<id>" or "tag:<id>", so one unique constraint covers both kinds.
        UniqueConstraint(
            "resource_type", "resource_id", "grantee_key", name="uq_shares_resource_grantee"
        ),
        Index("ix_shares_resource", "resource_type", "resource_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    resource_type: str = Field(max_length=32)
    # Not a foreign key: resources live in several tables. Deleting a resource deletes its shares.
    resource_id: str = Field(max_length=36)
    grantee_key: str = Field(max_length=48)
    grantee_user_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    grantee_tag_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(36), ForeignKey("tags.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    access_type: str = Field(max_length=16)
    granted_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow)


def grantee_key_for_user(user_id: str) -> str:
    """Return the `grantee_key` of a share to a user."""
    return f"user:{user_id}"


def grantee_key_for_tag(tag_id: str) -> str:
    """Return the `grantee_key` of a share to a tag."""
    return f"tag:{tag_id}"
