"""Mutations that create roles and attach them to users."""

import strawberry
from strawberry.types import Info

from resolvers import roles
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.mutations.users import UserPayload, user_payload
from schema.types.roles import Permission, Role


@strawberry.input
class CreateRoleInput:
    name: str
    description: str | None = None
    permissions: list[Permission] = strawberry.field(default_factory=list)


@strawberry.type
class RolePayload:
    role: Role | None
    errors: list[UserError]


@strawberry.input
class RoleAttachmentInput:
    user_id: strawberry.ID
    role_id: strawberry.ID


@strawberry.type
class RoleMutations:
    @strawberry.mutation(description="Create a role; needs ROLES_MANAGE.")
    async def create_role(self, info: Info, input: CreateRoleInput) -> RolePayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "createRole",
            lambda note: roles.create_role(
                ctx,
                note,
                name=input.name,
                description=input.description,
                permissions=list(input.permissions),
            ),
        )
        return RolePayload(role=Role.from_row(row) if row else None, errors=user_errors(errors))

    @strawberry.mutation(description="Attach a role to a user or service user.")
    async def attach_role(self, info: Info, input: RoleAttachmentInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "attachRole",
            lambda note: roles.attach_role(ctx, note, input.user_id, input.role_id),
        )
        return user_payload(row, errors)

    @strawberry.mutation(description="Detach a role; the user keeps at least one role.")
    async def detach_role(self, info: Info, input: RoleAttachmentInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "detachRole",
            lambda note: roles.detach_role(ctx, note, input.user_id, input.role_id),
        )
        return user_payload(row, errors)

    @strawberry.mutation(description="Choose the role used when a request sends no role header.")
    async def set_default_role(self, info: Info, input: RoleAttachmentInput) -> UserPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "setDefaultRole",
            lambda note: roles.set_default_role(ctx, note, input.user_id, input.role_id),
        )
        return user_payload(row, errors)
