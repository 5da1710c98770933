"""Root query that previews a user's deletion."""

import strawberry
from strawberry.types import Info

from resolvers import deletion
from schema.types.deletion import DeletionPreview


@strawberry.type
class DeletionQueries:
    @strawberry.field(
        description="What `deleteUser` would move to the transfer user and remove, and what "
        "still blocks it; needs the same access as the delete."
    )
    async def deletion_preview(
        self, info: Info, user_id: strawberry.ID, transfer_to_user_id: strawberry.ID
    ) -> DeletionPreview:
        plan = await deletion.preview_deletion(info.context, user_id, transfer_to_user_id)
        return DeletionPreview.from_plan(plan)
