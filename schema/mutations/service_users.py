"""Mutation that creates service users."""

import strawberry
from strawberry.types import Info

from resolvers import service_users
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.users import User


@strawberry.input
class CreateServiceUserInput:
    username: str = strawberry.field(description="3 to 64 characters of A-Z a-z 0-9 . _ -")
    description: str = strawberry.field(description="What the service user is for.")
    display_name: str | None = None


@strawberry.type
class ServiceUserPayload:
    service_user: User | None
    errors: list[UserError]


@strawberry.type
class ServiceUserMutations:
    @strawberry.mutation(
        description="Create a service user; needs the active role SystemRole-SuperAdmin and a "
        "person as caller, who becomes its owner."
    )
    async def create_service_user(
        self, info: Info, input: CreateServiceUserInput
    ) -> ServiceUserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "createServiceUser",
            lambda note: service_users.create_service_user(
                ctx,
                note,
                username=input.username,
                description=input.description,
                display_name=input.display_name,
            ),
        )
        return ServiceUserPayload(
            service_user=User.from_row(row) if row else None, errors=user_errors(errors)
        )
