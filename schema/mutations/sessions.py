"""Mutations that sign regular users in and out."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import sign_in
from resolvers.mutation import run_mutation
from schema.errors import UserError, user_errors
from schema.types.users import User


@strawberry.input
class SignInInput:
    username: str
    password: str


@strawberry.type
class SignInPayload:
    token: str | None = strawberry.field(
        description="Session token for the Authorization header; shown only here."
    )
    expires_at: datetime | None
    user: User | None
    errors: list[UserError]


@strawberry.input
class SignOutInput:
    reason: str | None = None


@strawberry.type
class SignOutPayload:
    signed_out_sessions: int
    errors: list[UserError]


@strawberry.input
class GlobalSignOutInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose sessions to end; default is the caller's own."
    )


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="Sign in with a username and password; opens a session.")
    async def sign_in(self, info: Info, input: SignInInput) -> SignInPayload:
        result, errors = await sign_in.attempt_sign_in(info.context, input.username, input.password)
        if result is None:
            return SignInPayload(token=None, expires_at=None, user=None, errors=user_errors(errors))
        user = await info.context.loaders.user.load(result.session.user_id)
        return SignInPayload(
            token=result.token,
            expires_at=result.session.expires_at,
            user=User.from_row(user),
            errors=[],
        )

    @strawberry.mutation(description="End the session this request authenticated with.")
    async def sign_out(self, info: Info, input: SignOutInput | None = None) -> SignOutPayload:
        ctx = info.context
        count, errors = await run_mutation(ctx, "signOut", lambda note: sign_in.sign_out(ctx, note))
        return SignOutPayload(signed_out_sessions=count or 0, errors=user_errors(errors))

    @strawberry.mutation(description="End every session of a user.")
    async def global_sign_out(
        self, info: Info, input: GlobalSignOutInput | None = None
    ) -> SignOutPayload:
        ctx = info.context
        user_id = input.user_id if input else None
        count, errors = await run_mutation(
            ctx, "globalSignOut", lambda note: sign_in.global_sign_out(ctx, note, user_id)
        )
        return SignOutPayload(signed_out_sessions=count or 0, errors=user_errors(errors))
