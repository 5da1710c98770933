"""SQLModel tables. Importing this package registers every table on `SQLModel.metadata`."""

from db.tables.audit import AuditEvent
from db.tables.datasources import Datasource
from db.tables.roles import Permission, Role, RoleAttachment
from db.tables.shares import AccessType, ResourceType, Share
from db.tables.tags import Tag, TagMember
from db.tables.tokens import (
    AccessToken,
    AccessTokenStatus,
    ServiceUserToken,
    Session,
    SignInFailure,
)
from db.tables.users import User

__all__ = [
    "AccessToken",
    "AccessTokenStatus",
    "AccessType",
    "AuditEvent",
    "Datasource",
    "Permission",
    "ResourceType",
    "Role",
    "RoleAttachment",
    "ServiceUserToken",
    "Session",
    "Share",
    "SignInFailure",
    "Tag",
    "TagMember",
    "User",
]
