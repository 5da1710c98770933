"""Mutations for personal access tokens."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from db.tables import AccessTokenStatus
from resolvers import access_tokens
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.credentials import AccessToken


@strawberry.input
class CreateAccessTokenInput:
    name: str
    role_id: strawberry.ID = strawberry.field(description="One of the caller's attached roles.")
    expires_at: datetime = strawberry.field(description="At most 365 days from now.")
    description: str | None = None


@strawberry.type
class CreateAccessTokenPayload:
    secret: str | None = strawberry.field(
        description="The token for the Authorization header; shown only here, never again."
    )
    access_token: AccessToken | None
    errors: list[UserError]


@strawberry.input
class AccessTokenIdInput:
    token_id: strawberry.ID


@strawberry.type
class AccessTokenPayload:
    access_token: AccessToken | None
    errors: list[UserError]


@strawberry.type
class DeleteAccessTokenPayload:
    deleted_token_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class AccessTokenMutations:
    @strawberry.mutation(description="Create a personal access token for the calling identity.")
    async def create_access_token(
        self, info: Info, input: CreateAccessTokenInput
    ) -> CreateAccessTokenPayload:
        ctx = info.context
        created, errors = await run_mutation(
            ctx,
            "createAccessToken",
            lambda note: access_tokens.create_access_token(
                ctx,
                note,
                name=input.name,
                description=input.description,
                role_id=input.role_id,
                expires_at=input.expires_at,
            ),
        )
        if created is None:
            return CreateAccessTokenPayload(
                secret=None, access_token=None, errors=user_errors(errors)
            )
        return CreateAccessTokenPayload(
            secret=created.secret, access_token=AccessToken.from_row(created.token), errors=[]
        )

    @strawberry.mutation(description="Stop accepting an access token until it is activated.")
    async def deactivate_access_token(
        self, info: Info, input: AccessTokenIdInput
    ) -> AccessTokenPayload:
        return await _set_status(info, input.token_id, AccessTokenStatus.INACTIVE)

    @strawberry.mutation(description="Accept a deactivated access token again.")
    async def activate_access_token(
        self, info: Info, input: AccessTokenIdInput
    ) -> AccessTokenPayload:
        return await _set_status(info, input.token_id, AccessTokenStatus.ACTIVE)

    @strawberry.mutation(description="Delete an inactive access token.")
    async def delete_access_token(
        self, info: Info, input: AccessTokenIdInput
    ) -> DeleteAccessTokenPayload:
        ctx = info.context
        deleted, errors = await run_mutation(
            ctx,
            "deleteAccessToken",
            lambda note: access_tokens.delete_access_token(ctx, note, input.token_id),
        )
        return DeleteAccessTokenPayload(deleted_token_id=deleted, errors=user_errors(errors))


async def _set_status(info: Info, token_id: str, status: AccessTokenStatus) -> AccessTokenPayload:
    ctx = info.context
    action = (
        "activateAccessToken" if status == AccessTokenStatus.ACTIVE else "deactivateAccessToken"
    )
    row, errors = await run_mutation(
        ctx, action, lambda note: access_tokens.set_access_token_status(ctx, note, token_id, status)
    )
    return AccessTokenPayload(
        access_token=AccessToken.from_row(row) if row else None, errors=user_errors(errors)
    )
