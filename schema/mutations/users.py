"""Mutations that create, enable and disable users."""

import strawberry
from strawberry.types import Info

from resolvers import users
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.users import User


@strawberry.input
class CreateUserInput:
    username: str = strawberry.field(description="3 to 64 characters of A-Z a-z 0-9 . _ -")
    email: str
    password: str = strawberry.field(description="At least 12 characters.")
    display_name: str | None = None


@strawberry.input
class UserIdInput:
    user_id: strawberry.ID


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


def user_payload(row, errors) -> UserPayload:
    """Build the payload of a mutation that returns one user."""
    return UserPayload(user=User.from_row(row) if row else None, errors=user_errors(errors))


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Create a regular user; needs USERS_MANAGE.")
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "createUser",
            lambda note: users.create_user(
                ctx,
                note,
                username=input.username,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
            ),
        )
        return user_payload(row, errors)

    @strawberry.mutation(description="Enable a user again.")
    async def enable_user(self, info: Info, input: UserIdInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx, "enableUser", lambda note: users.set_enabled(ctx, note, input.user_id, True)
        )
        return user_payload(row, errors)

    @strawberry.mutation(
        description="Disable a user: its sessions end and its tokens stop working at once."
    )
    async def disable_user(self, info: Info, input: UserIdInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx, "disableUser", lambda note: users.set_enabled(ctx, note, input.user_id, False)
        )
        return user_payload(row, errors)
