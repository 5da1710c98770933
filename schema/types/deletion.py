"""Types that describe what deleting a user moves to the transfer user and what it removes."""

import strawberry
from strawberry.types import Info

from db import tables
from resolvers.deletion import DeletionPlan
from resolvers.deletion import MovedResource as MovedResourceData
from schema.errors import UserError, user_errors
from schema.types.shares import Resource, ResourceType, load_resource
from schema.types.users import User


@strawberry.type(
    description="A resource the deleted user owns directly; it moves to the transfer user."
)
class MovedResource:
    resource_type: ResourceType
    resource_id: strawberry.ID
    transfer_user_is_owner: bool = strawberry.field(
        description="True when the transfer user already has an OWNER share, so none is added."
    )

    @classmethod
    def from_data(cls, moved: MovedResourceData) -> "MovedResource":
        """Convert a planned move."""
        return cls(
            resource_type=tables.ResourceType(moved.resource_type),
            resource_id=strawberry.ID(moved.resource_id),
            transfer_user_is_owner=moved.transfer_user_is_owner,
        )

    @strawberry.field(description="The resource; null if it no longer exists.")
    async def resource(self, info: Info) -> Resource | None:
        return await load_resource(info, self.resource_type, self.resource_id)


@strawberry.type(description="Numbers of records a user's deletion removes.")
class RemovedRecords:
    shares_as_grantee: int = strawberry.field(description="Shares granted to the user.")
    shares_on_service_user: int = strawberry.field(
        description="Shares on the user as a resource; zero for regular users."
    )
    role_attachments: int
    tag_memberships: int = strawberry.field(description="Tags the user has access to.")
    access_tokens: int
    service_user_tokens: int = strawberry.field(
        description="Service-user tokens issued for the user or by it."
    )
    sessions: int

    @classmethod
    def from_plan(cls, plan: DeletionPlan) -> "RemovedRecords":
        """Take the counts of a deletion plan."""
        return cls(**plan.removed)


@strawberry.type(description="What deleting a user would move and remove; nothing is changed.")
class DeletionPreview:
    user: User
    transfer_user: User
    moved_resources: list[MovedResource]
    removed: RemovedRecords
    blockers: list[UserError] = strawberry.field(
        description="Preconditions not met yet; `deleteUser` fails while this list is not empty."
    )

    @classmethod
    def from_plan(cls, plan: DeletionPlan) -> "DeletionPreview":
        """Convert a deletion plan."""
        return cls(
            user=User.from_row(plan.user),
            transfer_user=User.from_row(plan.transfer_user),
            moved_resources=[MovedResource.from_data(m) for m in plan.moved_resources],
            removed=RemovedRecords.from_plan(plan),
            blockers=user_errors(plan.blockers),
        )
