"""The `AuditEvent` type."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from db import tables
from schema.node import Node, to_global_id

if TYPE_CHECKING:
    from schema.types.roles import Role
    from schema.types.users import User

UserRef = Annotated["User", strawberry.lazy("schema.types.users")]
RoleRef = Annotated["Role", strawberry.lazy("schema.types.roles")]


@strawberry.type(description="One recorded mutation or assumption.")
class AuditEvent(Node):
    event_id: strawberry.ID
    action: str
    actor_id: strawberry.ID | None = strawberry.field(description="Id of the person who acted.")
    actor_username: str | None
    user_id: strawberry.ID | None = strawberry.field(description="Id of the effective identity.")
    role_id: strawberry.ID | None
    target_type: str | None
    target_id: strawberry.ID | None
    outcome: str
    error_code: str | None
    request_id: str | None
    created_at: datetime
    row: strawberry.Private[tables.AuditEvent]

    @classmethod
    def from_row(cls, row: tables.AuditEvent) -> "AuditEvent":
        """Wrap an audit event row."""
        return cls(
            id=to_global_id("AuditEvent", row.id),
            event_id=strawberry.ID(row.id),
            action=row.action,
            actor_id=row.actor_id,
            actor_username=row.actor_username,
            user_id=row.user_id,
            role_id=row.role_id,
            target_type=row.target_type,
            target_id=row.target_id,
            outcome=row.outcome,
            error_code=row.error_code,
            request_id=row.request_id,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="The person behind the action, also behind a service user.")
    async def actor(self, info: Info) -> UserRef | None:
        from schema.types.users import User

        if self.row.actor_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.actor_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The effective identity: the user or the assumed service user.")
    async def user(self, info: Info) -> UserRef | None:
        from schema.types.users import User

        if self.row.user_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.user_id)
        return User.from_row(row) if row else None

    @strawberry.field(description="The active role of the request.")
    async def role(self, info: Info) -> RoleRef | None:
        from schema.types.roles import Role

        if self.row.role_id is None:
            return None
        row = await info.context.loaders.role.load(self.row.role_id)
        return Role.from_row(row) if row else None
