"""The `Tag` type."""

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
    from schema.types.shares import Share
    from schema.types.users import User

UserRef = Annotated["User", strawberry.lazy("schema.types.users")]
ShareRef = Annotated["Share", strawberry.lazy("schema.types.shares")]


@strawberry.type(description="A key/value pair; resources shared with it reach its members.")
class Tag(Node):
    tag_id: strawberry.ID
    tag_key: str
    tag_value: str
    description: str | None
    created_at: datetime
    row: strawberry.Private[tables.Tag]

    @classmethod
    def from_row(cls, row: tables.Tag) -> "Tag":
        """Wrap a tag row."""
        return cls(
            id=to_global_id("Tag", row.id),
            tag_id=strawberry.ID(row.id),
            tag_key=row.tag_key,
            tag_value=row.tag_value,
            description=row.description,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Users with access to this tag, by username.")
    async def members(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[UserRef]:
        from schema.types.users import User

        statement = select(tables.User, tables.TagMember.tag_id).join(
            tables.TagMember, tables.TagMember.user_id == tables.User.id
        )
        page, total = await load_nested_page(
            info.context,
            "tag.members",
            statement,
            tables.TagMember.tag_id,
            self.row.id,
            (tables.User.username_key, tables.User.id),
            ("username_key", "id"),
            first,
            after,
        )
        return Connection.from_page(page, total, User.from_row)

    @strawberry.field(description="Shares on this tag as a resource, oldest first.")
    async def shares(self, info: Info) -> list[ShareRef]:
        from schema.types.shares import Share

        rows = await info.context.loaders.shares_by_resource.load(
            (tables.ResourceType.TAG, self.row.id)
        )
        return [Share.from_row(r) for r in rows]
