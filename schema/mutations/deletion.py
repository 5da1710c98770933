"""Mutation that deletes a disabled user after moving what it owns to a transfer user."""

import strawberry
from strawberry.types import Info

from resolvers import deletion
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.deletion import MovedResource, RemovedRecords
from schema.types.users import User


@strawberry.input
class DeleteUserInput:
    user_id: strawberry.ID = strawberry.field(description="A disabled user or service user.")
    transfer_to_user_id: strawberry.ID = strawberry.field(
        description="An enabled regular user who receives an OWNER share on every resource the "
        "deleted user owns."
    )


@strawberry.type
class DeleteUserPayload:
    deleted_user_id: strawberry.ID | None
    transfer_user: User | None
    moved_resources: list[MovedResource]
    removed: RemovedRecords | None
    errors: list[UserError]


@strawberry.type
class DeletionMutations:
    @strawberry.mutation(
        description="Delete a disabled user or service user. Needs Owner access for a service "
        "user, USERS_MANAGE for a regular user."
    )
    async def delete_user(self, info: Info, input: DeleteUserInput) -> DeleteUserPayload:
        ctx = info.context
        plan, errors = await run_mutation(
            ctx,
            "deleteUser",
            lambda note: deletion.delete_user(ctx, note, input.user_id, input.transfer_to_user_id),
        )
        if plan is None:
            return DeleteUserPayload(
                deleted_user_id=None,
                transfer_user=None,
                moved_resources=[],
                removed=None,
                errors=user_errors(errors),
            )
        return DeleteUserPayload(
            deleted_user_id=strawberry.ID(plan.user.id),
            transfer_user=User.from_row(plan.transfer_user),
            moved_resources=[MovedResource.from_data(m) for m in plan.moved_resources],
            removed=RemovedRecords.from_plan(plan),
            errors=[],
        )
