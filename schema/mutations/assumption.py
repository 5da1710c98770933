"""Mutations that assume a service user and revoke the tokens that assumptions issued."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import assumption
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.credentials import ServiceUserToken
from schema.types.roles import Role
from schema.types.users import User


@strawberry.input
class AssumeServiceUserInput:
    service_user_id: strawberry.ID
    role_id: strawberry.ID = strawberry.field(
        description="One of the service user's attached roles; requests act under it."
    )
    expires_in_minutes: int | None = strawberry.field(
        default=None,
        description="Token lifetime, 1 to 180 minutes; default 60 (ASSUMPTION_DEFAULT_MINUTES).",
    )
    reason: str | None = strawberry.field(
        default=None, description="Why the service user is assumed; at most 500 characters."
    )


@strawberry.type
class AssumeServiceUserPayload:
    token: str | None = strawberry.field(
        description="Send it in the X-Amorphic-Service-User header; shown only here."
    )
    token_id: strawberry.ID | None = strawberry.field(
        description="The token's `jti`; revoke it with revokeServiceUserToken."
    )
    expires_at: datetime | None
    service_user: User | None
    role: Role | None
    service_user_token: ServiceUserToken | None = strawberry.field(
        description="The registry entry of the new token."
    )
    errors: list[UserError]


@strawberry.input
class RevokeServiceUserTokenInput:
    token_id: strawberry.ID


@strawberry.type
class RevokeServiceUserTokenPayload:
    service_user_token: ServiceUserToken | None
    errors: list[UserError]


@strawberry.type
class AssumptionMutations:
    @strawberry.mutation(
        description="Issue a short-lived token acting as a service user; needs Owner access."
    )
    async def assume_service_user(
        self, info: Info, input: AssumeServiceUserInput
    ) -> AssumeServiceUserPayload:
        ctx = info.context
        result, errors = await run_mutation(
            ctx,
            "assumeServiceUser",
            lambda note: assumption.assume_service_user(
                ctx,
                note,
                service_user_id=input.service_user_id,
                role_id=input.role_id,
                expires_in_minutes=input.expires_in_minutes,
                reason=input.reason,
            ),
        )
        if result is None:
            return AssumeServiceUserPayload(
                token=None,
                token_id=None,
                expires_at=None,
                service_user=None,
                role=None,
                service_user_token=None,
                errors=user_errors(errors),
            )
        return AssumeServiceUserPayload(
            token=result.token,
            token_id=strawberry.ID(result.record.id),
            expires_at=result.record.expires_at,
            service_user=User.from_row(result.service_user),
            role=Role.from_row(result.role),
            service_user_token=ServiceUserToken.from_row(result.record),
            errors=[],
        )

    @strawberry.mutation(
        description="Revoke a service-user token; its service user's owners and its issuer may."
    )
    async def revoke_service_user_token(
        self, info: Info, input: RevokeServiceUserTokenInput
    ) -> RevokeServiceUserTokenPayload:
        ctx = info.context
        row, errors = await run_mutation(
            ctx,
            "revokeServiceUserToken",
            lambda note: assumption.revoke_service_user_token(ctx, note, input.token_id),
        )
        return RevokeServiceUserTokenPayload(
            service_user_token=ServiceUserToken.from_row(row) if row else None,
            errors=user_errors(errors),
        )
