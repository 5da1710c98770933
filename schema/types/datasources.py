"""The `Datasource` type."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from db import tables
from schema.node import Node, to_global_id

if TYPE_CHECKING:
    from schema.types.shares import Share
    from schema.types.users import User

UserRef = Annotated["User", strawberry.lazy("schema.types.users")]
ShareRef = Annotated["Share", strawberry.lazy("schema.types.shares")]


@strawberry.type(description="A data source, the example resource users and service users own.")
class Datasource(Node):
    datasource_id: strawberry.ID
    name: str
    description: str | None
    created_at: datetime
    row: strawberry.Private[tables.Datasource]

    @classmethod
    def from_row(cls, row: tables.Datasource) -> "Datasource":
        """Wrap a datasource row."""
        return cls(
            id=to_global_id("Datasource", row.id),
            datasource_id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(description="Users with Owner access, directly or through a tag.")
    async def owners(self, info: Info) -> list[UserRef]:
        from schema.types.users import User

        owner_ids = await info.context.loaders.owner_ids_by_resource.load(
            (tables.ResourceType.DATASOURCE, self.row.id)
        )
        rows = await info.context.loaders.user.load_many(owner_ids)
        return [User.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="Shares on this datasource, oldest first.")
    async def shares(self, info: Info) -> list[ShareRef]:
        from schema.types.shares import Share

        rows = await info.context.loaders.shares_by_resource.load(
            (tables.ResourceType.DATASOURCE, self.row.id)
        )
        return [Share.from_row(r) for r in rows]
