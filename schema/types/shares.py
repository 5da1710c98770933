"""The `Share` type and the unions of what can be shared and with whom."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from db import tables
from resolvers.visibility import can_see_datasource
from schema.node import Node, to_global_id
from schema.types.datasources import Datasource
from schema.types.tags import Tag
from schema.types.users import User

AccessType = strawberry.enum(tables.AccessType, name="AccessType")
ResourceType = strawberry.enum(tables.ResourceType, name="ResourceType")

Resource = Annotated[User | Datasource | Tag, strawberry.union("Resource")]
Grantee = Annotated[User | Tag, strawberry.union("Grantee")]


async def load_resource(info: Info, resource_type: str, resource_id: str) -> Resource | None:
    """Load a shared resource by type and id and wrap it in its GraphQL type.

    Returns None for a resource that is gone, and for a datasource the caller may not see.
    """
    loaders = info.context.loaders
    if resource_type == tables.ResourceType.SERVICE_USER:
        row = await loaders.user.load(resource_id)
        return User.from_row(row) if row else None
    if resource_type == tables.ResourceType.DATASOURCE:
        # A datasource the caller cannot see stays hidden here as in `datasource(...)`.
        if not await can_see_datasource(info.context, resource_id):
            return None
        row = await loaders.datasource.load(resource_id)
        return Datasource.from_row(row) if row else None
    row = await loaders.tag.load(resource_id)
    return Tag.from_row(row) if row else None


@strawberry.type(description="An access type on one resource, granted to a user or a tag.")
class Share(Node):
    share_id: strawberry.ID
    resource_type: ResourceType
    resource_id: strawberry.ID
    access_type: AccessType
    created_at: datetime
    row: strawberry.Private[tables.Share]

    @classmethod
    def from_row(cls, row: tables.Share) -> "Share":
        """Wrap a share row."""
        return cls(
            id=to_global_id("Share", row.id),
            share_id=strawberry.ID(row.id),
            resource_type=tables.ResourceType(row.resource_type),
            resource_id=strawberry.ID(row.resource_id),
            access_type=tables.AccessType(row.access_type),
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field(
        description="The shared resource; null if it was deleted meanwhile or is a datasource "
        "the caller cannot see."
    )
    async def resource(self, info: Info) -> Resource | None:
        return await load_resource(info, self.row.resource_type, self.row.resource_id)

    @strawberry.field(description="The user or tag the share grants access to.")
    async def grantee(self, info: Info) -> Grantee | None:
        if self.row.grantee_user_id is not None:
            row = await info.context.loaders.user.load(self.row.grantee_user_id)
            return User.from_row(row) if row else None
        row = await info.context.loaders.tag.load(self.row.grantee_tag_id)
        return Tag.from_row(row) if row else None

    @strawberry.field(description="The person who granted the share.")
    async def granted_by(self, info: Info) -> User | None:
        if self.row.granted_by_id is None:
            return None
        row = await info.context.loaders.user.load(self.row.granted_by_id)
        return User.from_row(row) if row else None
