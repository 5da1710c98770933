"""Roles, their permissions, and which users hold which roles."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from db.clock import new_id, utcnow


class Permission(enum.StrEnum):
    """Permissions a role can grant."""

    USERS_READ = "USERS_READ"
    USERS_MANAGE = "USERS_MANAGE"
    ROLES_MANAGE = "ROLES_MANAGE"
    TAGS_MANAGE = "TAGS_MANAGE"
    DATASOURCES_CREATE = "DATASOURCES_CREATE"
    APP_BI = "APP_BI"
    APP_MDM = "APP_MDM"


# System roles have fixed ids so that the migration, the tests and the code agree on them.
SUPER_ADMIN_ROLE_ID = "00000000-0000-4000-8000-000000000001"
SUPER_ADMIN_ROLE_NAME = "SystemRole-SuperAdmin"
DEFAULT_USERS_ROLE_ID = "00000000-0000-4000-8000-000000000002"
DEFAULT_USERS_ROLE_NAME = "SystemRole-DefaultUsers"


class Role(SQLModel, table=True):
    """A named set of permissions."""

    __tablename__ = "roles"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=64)
    # Lower-cased name, unique, so that "Analysts" and "analysts" cannot both exist.
    name_key: str = Field(max_length=64, unique=True)
    description: str | None = Field(default=None, max_length=1000)
    is_system: bool = Field(default=False)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    # Written whenever a change must serialise with others on this role; see `db.locks`.
    updated_at: datetime = Field(default_factory=utcnow)
    # Not a foreign key, because users already refer to roles and a cycle would complicate DDL.
    created_by_id: str | None = Field(default=None, max_length=36)


class RoleAttachment(SQLModel, table=True):
    """One role held by one user."""

    __tablename__ = "role_attachments"

    user_id: str = Field(
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    role_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("roles.id", ondelete="RESTRICT"), primary_key=True, index=True
        )
    )
    attached_at: datetime = Field(default_factory=utcnow)
    attached_by_id: str | None = Field(
        default=None,
        sa_column=Column(String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
