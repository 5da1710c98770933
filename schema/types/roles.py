"""The `Role` type."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from db import tables
from resolvers.nested import load_nested_page
from resolvers.pagination import DEFAULT_PAGE_SIZE
from schema.connection import Connection
from schema.node import Node, to_global_id

if TYPE_CHECKING:
    from schema.types.users import User

UserRef = Annotated["User", strawberry.lazy("schema.types.users")]

Permission = strawberry.enum(tables.Permission, name="Permission")


@strawberry.type(description="A named set of permissions.")
class Role(Node):
    role_id: strawberry.ID
    name: str
    description: str | None
    is_system: bool
    permissions: list[Permission]
    created_at: datetime
    row: strawberry.Private[tables.Role]

    @classmethod
    def from_row(cls, row: tables.Role) -> "Role":
        """Wrap a role row."""
        return cls(
            id=to_global_id("Role", row.id),
            role_id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            is_system=row.is_system,
            permissions=[tables.Permission(p) for p in row.permissions],
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Users holding this role, by username.")
    async def users(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[UserRef]:
        from schema.types.users import User

        statement = select(tables.User, tables.RoleAttachment.role_id).join(
            tables.RoleAttachment, tables.RoleAttachment.user_id == tables.User.id
        )
        page, total = await load_nested_page(
            info.context,
            "role.users",
            statement,
            tables.RoleAttachment.role_id,
            self.row.id,
            (tables.User.username_key, tables.User.id),
            ("username_key", "id"),
            first,
            after,
        )
        return Connection.from_page(page, total, User.from_row)
