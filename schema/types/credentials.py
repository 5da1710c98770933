"""Types of credentials: personal access tokens, service-user tokens and sessions."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from db import tables
from db.clock import utcnow
from schema.node import Node, to_global_id

if TYPE_CHECKING:
    from schema.types.roles import Role
    from schema.types.users import User

UserRef = Annotated["User", strawberry.lazy("schema.types.users")]
RoleRef = Annotated["Role", strawberry.lazy("schema.types.roles")]

AccessTokenStatus = strawberry.enum(tables.AccessTokenStatus, name="AccessTokenStatus")


async def _user(info: Info, user_id: str | None):
    from schema.types.users import User

    if user_id is None:
        return None
    row = await info.context.loaders.user.load(user_id)
    return User.from_row(row) if row else None


async def _role(info: Info, role_id: str):
    from schema.types.roles import Role

    row = await info.context.loaders.role.load(role_id)
    return Role.from_row(row) if row else None


@strawberry.type(description="A personal access token; its secret is only shown at creation.")
class AccessToken(Node):
    token_id: strawberry.ID
    name: str
    description: str | None
    display_prefix: str = strawberry.field(description="First characters of the secret.")
    status: AccessTokenStatus
    expires_at: datetime
    created_at: datetime
    last_used_at: datetime | None
    row: strawberry.Private[tables.AccessToken]

    @classmethod
    def from_row(cls, row: tables.AccessToken) -> "AccessToken":
        """Wrap an access token row."""
        return cls(
            id=to_global_id("AccessToken", row.id),
            token_id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            display_prefix=row.display_prefix,
            status=tables.AccessTokenStatus(row.status),
            expires_at=row.expires_at,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            row=row,
        )

    @strawberry.field(description="The user or service user the token authenticates as.")
    async def user(self, info: Info) -> UserRef | None:
        return await _user(info, self.row.user_id)

    @strawberry.field(description="The role every request with this token acts under.")
    async def role(self, info: Info) -> RoleRef | None:
        return await _role(info, self.row.role_id)

    @strawberry.field(description="The person who created it while acting as a service user.")
    async def created_by_actor(self, info: Info) -> UserRef | None:
        return await _user(info, self.row.created_by_actor_id)


@strawberry.type(description="Registry entry of a service-user token issued by an assumption.")
class ServiceUserToken(Node):
    token_id: strawberry.ID = strawberry.field(description="The token's `jti` claim.")
    issued_at: datetime
    expires_at: datetime
    reason: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    row: strawberry.Private[tables.ServiceUserToken]

    @classmethod
    def from_row(cls, row: tables.ServiceUserToken) -> "ServiceUserToken":
        """Wrap a service-user token registry row."""
        return cls(
            id=to_global_id("ServiceUserToken", row.id),
            token_id=strawberry.ID(row.id),
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            reason=row.reason,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            row=row,
        )

    @strawberry.field(description="Whether the token is neither revoked nor expired.")
    def active(self) -> bool:
        return self.row.revoked_at is None and self.row.expires_at > utcnow()

    @strawberry.field(description="The assumed service user.")
    async def service_user(self, info: Info) -> UserRef | None:
        return await _user(info, self.row.service_user_id)

    @strawberry.field(description="The role chosen at assumption.")
    async def role(self, info: Info) -> RoleRef | None:
        return await _role(info, self.row.role_id)

    @strawberry.field(description="The person who assumed the service user.")
    async def issued_by(self, info: Info) -> UserRef | None:
        return await _user(info, self.row.issued_by_id)

    @strawberry.field(description="The person who revoked the token, if anyone did.")
    async def revoked_by(self, info: Info) -> UserRef | None:
        return await _user(info, self.row.revoked_by_id)


@strawberry.type(description="A signed-in session of a regular user.")
class Session(Node):
    session_id: strawberry.ID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    client_ip: str | None
    row: strawberry.Private[tables.Session]

    @classmethod
    def from_row(cls, row: tables.Session) -> "Session":
        """Wrap a session row."""
        return cls(
            id=to_global_id("Session", row.id),
            session_id=strawberry.ID(row.id),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            user_agent=row.user_agent,
            client_ip=row.client_ip,
            row=row,
        )
